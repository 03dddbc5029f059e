"""Every console page checked with axe-core in Debian's Chromium against the running stack
(docs/console.md "Accessibility"): sign-in (with a key, with single sign-on, refused), the queue
with each of its sections and views, the export page in each state a reviewer meets, the invoice
preview, the bulk result, the Operations page, the message pages, and the pages a key that may
not act reads. No page may have a serious or critical violation; each test prints its pages'
violations by impact, moderate and minor included."""

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page, Request, Route, expect

from store.accounts import create_key
from tests.support.accessibility import (
    Checked,
    assert_accessible,
    check,
    quiet,
    report,
    require_axe,
)
from tests.support.browser import chromium
from tests.support.oidc_provider import PASSWORD, PROVIDER_NAME, oidc_console
from tests.support.stack import Stack, wait_status
from tests.support.tenants import World

SLOW = 20_000  # ms a form that starts work in the workflow may take to answer
REVIEW_SKU = "SKU-SCARF-8"  # its HS code is too short: every plan of it needs review
REJECTED = "invoice lacks a signature"


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    require_axe()
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture
async def visit(stack: Stack, browser: Browser) -> AsyncIterator[BrowserContext]:
    """A browser context that lets axe in (the pages' policy admits only our script), holds
    its pages still while they are checked, and asks no other host for anything."""
    base = str(stack.api.base_url).rstrip("/")
    context = await browser.new_context(base_url=base, bypass_csp=True)
    await quiet(context)
    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    context.on("request", record)
    try:
        yield context
    finally:
        await context.close()
    own = urlsplit(base).netloc
    assert [u for u in requests if urlsplit(u).netloc != own] == []


async def shown(page: Page, what: Locator) -> None:
    """Reload until `what` is on the page (the checked pages do not refresh themselves)."""
    for _ in range(100):
        if await what.count():
            break
        await asyncio.sleep(0.2)
        await page.reload()
    await expect(what).to_be_visible()


def summary(capsys: pytest.CaptureFixture[str], checked: list[Checked]) -> None:
    """Print the pages' table whatever the capture, then fail on a serious or critical one."""
    with capsys.disabled():
        print(report(checked))
    assert_accessible(checked)


async def sign_in(page: Page, key: str) -> None:
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()


async def person(pool: asyncpg.Pool, world: World, label: str, roles: list[str]) -> str:
    """A key of the world's account with `roles`, labelled `label`: its secret."""
    async with pool.acquire() as conn:
        _, secret = await create_key(
            conn, world.tenant.account_id, label.lower(), roles, label=label
        )
    return str(secret)


async def plan_review(stack: Stack, world: World, n: int) -> list[dict[str, Any]]:
    """`n` exports of one order each of the review SKU, planned without execution."""
    plans = []
    for order_id in await world.orders(stack.api, *[REVIEW_SKU] * n):
        r = await stack.api.post(
            "/api/exports/plan", json=world.plan_body([order_id]), headers=world.tenant.auth()
        )
        assert r.status_code == 201, r.text
        assert r.json()["readinessState"] == "REVIEW_REQUIRED"
        plans.append(r.json())
    return plans


async def execute(stack: Stack, world: World, order: dict[str, Any] | None = None) -> str:
    """One order (of the scarf, or `order`) planned and executed; the export's id."""
    auth = world.tenant.auth()
    if order is None:
        [order_id] = await world.orders(stack.api, "SKU-SCARF")
    else:
        r = await stack.api.post(
            "/api/orders/sync",
            headers=auth,
            json={"accountId": world.tenant.account_id, "items": [order]},
        )
        assert r.status_code == 200, r.text
        order_id = r.json()["data"][0]["id"]
    r = await stack.api.post("/api/exports/plan", headers=auth, json=world.plan_body([order_id]))
    assert r.status_code == 201, r.text
    export_id = str(r.json()["exportId"])
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth, json=body)
    assert r.status_code in (200, 202), r.text
    return export_id


async def rejected_by_the_broker(stack: Stack, world: World) -> str:
    """An export the sandbox broker rejected at its send: it needs attention."""
    r = await stack.broker.post(
        "/_sandbox/faults", json={"reject": "sync", "rejectReason": REJECTED}
    )
    assert r.status_code == 200
    try:
        export_id = await execute(stack, world)
        await wait_status(stack, world.tenant.auth(), export_id, {"ATTENTION_REQUIRED"}, loops=600)
    finally:
        await stack.broker.post("/_sandbox/faults", json={"reject": None})
    return export_id


async def replan_with_another_order(stack: Stack, world: World, planned: dict[str, Any]) -> None:
    [extra] = await world.orders(stack.api, REVIEW_SKU)
    r = await stack.api.post(
        f"/api/exports/{planned['exportId']}/replan",
        json={"orderIds": [*planned["included_order_ids"], extra]},
        headers=world.tenant.auth("integration"),
    )
    assert r.status_code == 200, r.text


async def test_the_sign_in_pages(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await stack.world(pool)
    page = await visit.new_page()
    await page.goto("/console")
    await expect(page.get_by_label("API key")).to_be_visible()
    checked = [await check(page, "sign-in")]
    await page.get_by_label("API key").fill(world.tenant.keys["integration"])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#sign-in-error")).to_contain_text("only the integration role")
    checked.append(await check(page, "sign-in, key refused"))
    summary(capsys, checked)


async def _stay(route: Route) -> None:
    await route.fulfill(status=204)


async def test_the_single_sign_on_pages(
    stack: Stack,
    pool: asyncpg.Pool,
    browser: Browser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = await stack.world(pool)
    checked: list[Checked] = []
    async with oidc_console(stack, world.tenant.account_id, tmp_path / "provider.log") as console:
        # sam is in no group the console maps to a role; dana is a reviewer
        people = (
            ("sam", "sign-in refused", "#sign-in-refused"),
            ("dana", "signed in", "#continue"),
        )
        for login, name, shows in people:
            # a browser of its own per person (the provider remembers who signed in)
            context = await browser.new_context(base_url=console.url, bypass_csp=True)
            try:
                # the page that sends the browser on after the provider is held there (a 204
                # where it goes) to be looked at
                await context.route(lambda url: urlsplit(url).path == "/console", _stay)
                page = await context.new_page()
                await page.goto("/console/sign-in")
                link = page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}")
                await expect(link).to_be_visible()
                if not checked:
                    checked.append(await check(page, "sign-in, single sign-on"))
                await link.click()
                await page.get_by_label("Login").fill(login)
                await page.get_by_label("Password").fill(PASSWORD)
                await page.get_by_role("button", name="Sign in").click()
                await expect(page).to_have_url(re.compile(r"/console/oidc/callback"))
                await expect(page.locator(shows)).to_be_visible()
                checked.append(await check(page, name))
            finally:
                await context.close()
    summary(capsys, checked)


async def test_the_queue_in_each_of_its_views(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await stack.world(pool)
    dana = await person(pool, world, "Dana Diaz", ["reviewer"])
    plans = await plan_review(stack, world, 3)
    attention = await rejected_by_the_broker(stack, world)
    await stack.reporting_release(world)
    asked = await execute(stack, world, world.scenario_order("info_request"))
    await wait_status(stack, world.tenant.auth(), asked, {"BROKER_ACTION_REQUIRED"})
    r = await stack.api.post(
        f"/api/exports/{plans[0]['exportId']}/claim",
        headers={"authorization": f"Bearer {dana}"},
        json={},
    )
    assert r.status_code == 200, r.text

    page = await visit.new_page()
    await sign_in(page, dana)
    for section in ("awaiting", "attention", "broker-requests"):
        await expect(page.locator(f"#{section} tbody tr").first).to_be_visible()
    await expect(page.locator(f"#attention tr[data-export='{attention}']")).to_be_visible()
    checked = [await check(page, "queue: awaiting review, needs attention, broker requests")]
    await page.get_by_role("link", name="Assigned to me").click()
    await expect(
        page.locator(f"#awaiting tr[data-export='{plans[0]['exportId']}']")
    ).to_be_visible()
    checked.append(await check(page, "queue: assigned to me"))
    code = sorted({c for d in plans[0]["decisions"] for c in d["reasonCodes"]})[0]
    await page.get_by_label("Held by").select_option("nobody")
    await page.get_by_label("Reason code", exact=True).select_option(code)
    await page.get_by_label("Sort by").select_option("waiting")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("#awaiting tbody tr")).to_have_count(2)
    checked.append(await check(page, "queue: filtered"))
    await page.goto(f"/console?holder=me&code={code}&broker={world.broker_id}&cluster=gone")
    await expect(page.locator("#awaiting")).to_contain_text("Nothing awaits review")
    checked.append(await check(page, "queue: filtered, nothing"))
    summary(capsys, checked)


async def test_the_export_page_under_review_and_the_bulk_result(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await stack.world(pool)
    await person(pool, world, "Dana Diaz", ["reviewer"])
    lead = await person(pool, world, "Lee Lead", ["reviewer", "admin"])
    plans = await plan_review(stack, world, 4)
    page = await visit.new_page()
    await sign_in(page, lead)
    checked: list[Checked] = []

    # a lead: claim, assign, the decisions, changes requested, a comment
    await page.goto(f"/console/exports/{plans[0]['exportId']}")
    await page.get_by_label("Comment", exact=True).fill("The HS code needs all ten digits.")
    await page.get_by_role("button", name="Add comment").click()
    await expect(page.locator("#notice")).to_have_text("Comment added.")
    await expect(page.get_by_label("Assign to")).to_be_visible()
    await expect(page.get_by_role("button", name="Claim")).to_be_visible()
    checked.append(await check(page, "export: awaiting review (a lead's forms, a comment)"))

    # the reject form refusing an empty reason
    await page.locator("#reject-reason").evaluate("el => el.removeAttribute('required')")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.locator("#reject-error")).to_contain_text("reason is required")
    checked.append(await check(page, "export: reject refused (no reason)"))

    # changes requested, then a new plan: what changed since
    code = sorted({c for d in plans[1]["decisions"] for c in d["reasonCodes"]})[0]
    await page.goto(f"/console/exports/{plans[1]['exportId']}")
    form = page.locator("#request-changes")
    await form.get_by_label(code, exact=True).check()
    await form.get_by_label(re.compile("What must change")).fill("Send the ten-digit code.")
    await form.get_by_role("button", name="Request changes").click()
    await expect(page.locator("#changes-requested")).to_contain_text("waiting for a new plan")
    checked.append(await check(page, "export: changes requested"))
    await replan_with_another_order(stack, world, plans[1])
    await page.goto(f"/console/exports/{plans[1]['exportId']}")
    await expect(page.locator("#changes")).to_contain_text("Order added")
    checked.append(await check(page, "export: re-planned (what changed since the review)"))

    await page.get_by_role("link", name="Invoice preview").click()
    await expect(page.locator("#draft-mark")).to_contain_text("DRAFT")
    checked.append(await check(page, "invoice preview (DRAFT)"))

    # bulk: three approved, one changed after the page was shown (skipped)
    await page.goto("/console")
    for p in plans[1:]:
        await page.get_by_label(f"Select {p['exportId']}").check()
    await replan_with_another_order(stack, world, plans[2])
    await page.get_by_role("button", name="Approve selected").click()
    await expect(page.get_by_role("heading", name=re.compile("Approve selected"))).to_be_visible()
    await expect(page.locator("#skipped tbody tr")).to_have_count(1)
    checked.append(await check(page, "bulk result: approved and skipped"))

    # an approved export on its way
    await page.goto(f"/console/exports/{plans[3]['exportId']}")
    await expect(page.locator("#approval-state")).to_have_text("APPROVED")
    checked.append(await check(page, "export: approved"))
    summary(capsys, checked)


async def test_the_export_page_with_a_broker(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await stack.reporting_release(await stack.world(pool))
    auth = world.tenant.auth()
    asked = await execute(stack, world, world.scenario_order("info_request"))
    held = await execute(stack, world, world.scenario_order("hold_then_release"))
    await wait_status(stack, auth, asked, {"BROKER_ACTION_REQUIRED"})
    page = await visit.new_page()
    await sign_in(page, world.tenant.keys["reviewer"])
    checked: list[Checked] = []

    await page.goto(f"/console/exports/{asked}")
    request = page.locator("article.broker-request[data-request='req-1']")
    await expect(request.locator(".request-status")).to_have_text("OPEN")
    checked.append(await check(page, "export: a broker request to answer"))
    await request.get_by_label(re.compile("Answer")).fill("The street address is Gatan 1.")
    await request.get_by_role("button", name="Answer and re-plan").click()
    await expect(page.get_by_text("the amendment sent")).to_be_visible(timeout=SLOW)
    await wait_status(stack, auth, asked, {"COMPLETED"})
    await page.goto(f"/console/exports/{asked}")
    await expect(page.locator("#export-status")).to_have_text("COMPLETED")
    checked.append(await check(page, "export: completed (request answered, amendment)"))

    await wait_status(stack, auth, held, {"COMPLETED"}, loops=600)
    await page.goto(f"/console/exports/{held}")
    await expect(page.locator("#broker")).to_contain_text("Holds")
    checked.append(await check(page, "export: completed (a hold released)"))

    attention = await rejected_by_the_broker(stack, world)
    await page.goto(f"/console/exports/{attention}")
    await expect(page.get_by_role("button", name="Retry")).to_be_visible()
    checked.append(await check(page, "export: needs attention"))

    # a broker that answers by email: its messages recorded by hand
    mailed = await stack.world(pool, transport="email")
    export_id = await execute(stack, mailed)
    await wait_status(stack, mailed.tenant.auth(), export_id, {"EXECUTED"})
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, mailed.tenant.keys["reviewer"])
    await page.goto(f"/console/exports/{export_id}")
    await expect(page.get_by_role("button", name="Record the message")).to_be_visible()
    checked.append(await check(page, "export: executed, an email broker's message to record"))
    summary(capsys, checked)


async def test_the_operations_page(
    stack: Stack,
    pool: asyncpg.Pool,
    browser: Browser,
    visit: BrowserContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = await stack.world(pool)
    admin = world.tenant.auth("admin")
    operator = await person(pool, world, "Olga Operator", ["admin"])
    [planned] = await plan_review(stack, world, 1)
    await rejected_by_the_broker(stack, world)
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/pause", headers=admin, json={"reason": "maintenance"}
    )
    assert r.status_code == 200, r.text
    checked: list[Checked] = []
    try:
        waiting = await execute(stack, world)
        page = await visit.new_page()
        await sign_in(page, operator)
        # an admin without the reviewer role reads the queue and the export, deciding nothing
        box = page.get_by_label(f"Select {planned['exportId']}")
        await expect(box).to_be_disabled()
        checked.append(await check(page, "queue: read-only (an admin, no reviewer role)"))
        await page.goto(f"/console/exports/{planned['exportId']}")
        await expect(page.get_by_role("button", name="Approve")).to_be_disabled()
        checked.append(await check(page, "export: read-only (an admin, no reviewer role)"))
        await page.get_by_role("navigation").get_by_role("link", name="Operations").click()
        group = page.locator(f"tr[data-group='broker:{world.broker_id}|WAITING_PAUSED']")
        await shown(page, group.get_by_role("link", name=waiting))
        await expect(page.locator("#failures tbody tr")).to_have_count(2)
        checked.append(await check(page, "operations: a paused destination, failure groups"))
        await group.get_by_role("button", name="Preview retry").click()
        await expect(page.locator("#result")).to_have_attribute("data-dry-run", "true")
        checked.append(await check(page, "operations: a retry previewed"))

        reader = await browser.new_context(
            base_url=str(stack.api.base_url).rstrip("/"), bypass_csp=True
        )
        try:
            await quiet(reader)
            page = await reader.new_page()
            await sign_in(page, world.tenant.keys["reviewer"])
            await page.goto("/console/operations")
            await expect(page.locator("#read-only")).to_contain_text("no admin role")
            checked.append(await check(page, "operations: read-only (a reviewer)"))
        finally:
            await reader.close()
    finally:
        r = await stack.api.post(f"/api/brokers/{world.broker_id}/resume", headers=admin, json={})
        assert r.status_code == 200, r.text
    summary(capsys, checked)


async def test_the_message_pages(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await stack.world(pool)
    [planned] = await plan_review(stack, world, 1)
    page = await visit.new_page()
    await sign_in(page, world.tenant.keys["reviewer"])
    checked: list[Checked] = []
    await page.goto("/console/exports/exp_no_such_export")
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    checked.append(await check(page, "message: not found"))

    # the comment form sent in an encoding the console does not read
    export_page = f"/console/exports/{planned['exportId']}"
    await page.goto(export_page)
    await page.get_by_label("Comment", exact=True).fill("plain text")
    await page.locator("form.comment").evaluate("f => { f.enctype = 'text/plain'; f.submit(); }")
    await expect(page.get_by_role("heading", name="Bad form")).to_be_visible()
    checked.append(await check(page, "message: bad form"))

    # and without its security token
    await page.goto(export_page)
    await page.get_by_label("Comment", exact=True).fill("no token")
    await page.locator("form.comment input[name=csrf]").evaluate("el => el.remove()")
    await page.get_by_role("button", name="Add comment").click()
    await expect(page.get_by_role("heading", name="Form refused")).to_be_visible()
    checked.append(await check(page, "message: form refused"))
    summary(capsys, checked)
