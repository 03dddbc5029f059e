"""The console's Operations page (docs/fleet-control.md) in Debian's Chromium against the running
stack: an admin pauses the world's broker with a reason, sees an export executed meanwhile wait
in a WAITING_PAUSED group, resumes it and the export completes; a group of exports the sandbox
broker rejected is previewed (the submission id is the idempotency key sent again) and retried,
and a second submit of the same form does nothing again; a reviewer-only key reads the page with
its buttons disabled and its posts refused."""

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from store import accounts
from tests.support.browser import chromium, sign_in
from tests.support.stack import Stack, wait_status
from tests.support.tenants import World

LIVE = 20_000  # ms a live update may take to show (the page polls every 2 s)
OPERATOR = "Olga Operator"
REJECTED = "invoice lacks a signature"
Form = dict[str, str | float | bool]


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture
async def visit(stack: Stack, browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(base_url=str(stack.api.base_url).rstrip("/"))
    try:
        yield context
    finally:
        await context.close()


async def operator_key(pool: asyncpg.Pool, world: World) -> tuple[str, str]:
    """A key with only the admin role, labelled with the operator's name: its id and secret."""
    async with pool.acquire() as conn:
        key, secret = await accounts.create_key(
            conn, world.tenant.account_id, "operator", ["admin"], label=OPERATOR
        )
    return key.id, secret


async def operations(visit: BrowserContext, key: str) -> Page:
    """Signed in with `key`, on the Operations page reached through the navigation."""
    page = await visit.new_page()
    await sign_in(page, key)
    await page.get_by_role("navigation").get_by_role("link", name="Operations").click()
    await expect(page.get_by_role("heading", name="Operations", exact=True)).to_be_visible()
    return page


async def execute(stack: Stack, world: World, prefix: str) -> str:
    """One order of the scarf, planned and executed; the export's id."""
    orders = await world.orders(stack.api, "SKU-SCARF", prefix=prefix)
    auth = world.tenant.auth()
    r = await stack.api.post("/api/exports/plan", headers=auth, json=world.plan_body(orders))
    assert r.status_code == 201, r.text
    export_id: str = r.json()["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth, json=body)
    assert r.status_code in (200, 202), r.text
    return export_id


async def destination(stack: Stack, world: World, ident: str) -> dict[str, Any]:
    r = await stack.api.get(f"/api/destinations/{ident}", headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


async def events_of(stack: Stack, world: World, export_id: str, kind: str) -> list[dict[str, Any]]:
    view = (await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())).json()
    return [e for e in view["events"] if e["type"] == kind]


async def fields_of(form: Locator) -> Form:
    """The names and values of a form's inputs, as the browser would send them."""
    found: Form = await form.evaluate("f => Object.fromEntries(new FormData(f).entries())")
    return found


async def test_an_admin_pauses_the_broker_and_resumes_it_and_the_waiting_export_completes(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext
) -> None:
    world = await stack.world(pool)
    key_id, secret = await operator_key(pool, world)
    ident = f"broker:{world.broker_id}"
    page = await operations(visit, secret)
    row = page.locator(f"tr[data-destination='{ident}']")
    await expect(row.locator(".state")).to_have_text("CLOSED")
    await expect(row.get_by_role("button", name="Resume")).to_have_count(0)

    # the reason is required: without it nothing is paused
    await row.get_by_label("Reason").evaluate("el => el.removeAttribute('required')")
    await row.get_by_role("button", name="Pause").click()
    await expect(page.locator("#error")).to_contain_text("the reason is required")
    assert (await destination(stack, world, ident))["state"] == "CLOSED"
    # nor without the form's security token
    form = await fields_of(row.locator("form.pause"))
    unsigned = {k: v for k, v in form.items() if k != "csrf"} | {"reason": "no token"}
    path = f"/console/operations/destinations/broker/{world.broker_id}/pause"
    answer = await visit.request.post(path, form=unsigned)
    assert answer.status == 403
    assert "security token" in await answer.text()
    assert (await destination(stack, world, ident))["events"] == []

    await row.get_by_label("Reason").fill("broker's planned maintenance")
    await row.get_by_role("button", name="Pause").click()
    await expect(page.locator("#notice")).to_contain_text("Paused")
    await expect(row.locator(".state")).to_have_text("PAUSED")
    await expect(row.locator(".paused-reason")).to_contain_text("broker's planned maintenance")
    await expect(row.locator(".paused-by")).to_have_text(f"by {OPERATOR}")
    paused = await destination(stack, world, ident)
    assert (paused["state"], paused["pausedBy"]) == ("PAUSED", key_id)
    assert paused["pausedReason"] == "broker's planned maintenance"

    # an export executed meanwhile waits for the broker: the live page shows its group
    export_id = await execute(stack, world, "PAUSED")
    group = page.locator(f"tr[data-group='{ident}|WAITING_PAUSED']")
    await expect(group.locator(".group-count")).to_have_text("1", timeout=LIVE)
    await expect(group.get_by_role("link", name=export_id)).to_be_visible()
    await expect(row.locator(".waiting")).to_have_text("1", timeout=LIVE)
    view = (await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())).json()
    assert view["status"] == "EXECUTING"
    assert view["brokerSubmission"] is None or view["brokerSubmission"]["attempts"] == 0

    await row.get_by_role("button", name="Resume").click()
    await expect(page.locator("#notice")).to_contain_text("Resumed")
    await expect(row.locator(".state")).to_have_text("CLOSED")
    await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"}, loops=600)
    await expect(group).to_have_count(0, timeout=LIVE)
    events = (await destination(stack, world, ident))["events"]
    assert [(e["type"], e["actor"]) for e in events] == [
        ("DESTINATION_PAUSED", key_id),
        ("DESTINATION_RESUMED", key_id),
    ]


async def test_a_rejected_group_is_previewed_then_retried_once_and_completes(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext
) -> None:
    world = await stack.world(pool)
    key_id, secret = await operator_key(pool, world)
    auth = world.tenant.auth()
    r = await stack.broker.post(
        "/_sandbox/faults", json={"reject": "sync", "rejectReason": REJECTED}
    )
    assert r.status_code == 200
    try:
        export_id = await execute(stack, world, "REJECTED")
        failed = await wait_status(stack, auth, export_id, {"ATTENTION_REQUIRED"}, loops=600)
    finally:
        await stack.broker.post("/_sandbox/faults", json={"reject": None})
    submission = failed["brokerSubmission"]
    (listed,) = (await stack.api.get("/api/operations/failures", headers=auth)).json()["data"]
    assert listed["exportIds"] == [export_id]

    page = await operations(visit, secret)
    group = page.locator(f"tr[data-group='{listed['group']}']")
    await expect(group.locator(".group-count")).to_have_text("1")
    await expect(group.locator(".error-class")).to_have_text(listed["errorClass"])
    await expect(group.locator(".sample")).to_contain_text(REJECTED)
    await expect(group.get_by_role("link", name=export_id)).to_be_visible()

    await group.get_by_role("button", name="Preview retry").click()
    result = page.locator("#result")
    await expect(result).to_have_attribute("data-dry-run", "true")
    line = result.locator(f"tr[data-export='{export_id}']")
    await expect(line.locator(".outcome")).to_have_text("would_retry")
    await expect(line.locator(".idempotency-key")).to_have_text(submission["id"])
    await expect(line.locator(".attempt")).to_have_text(str(submission["attempts"] + 1))
    # a preview changes nothing
    view = (await stack.api.get(f"/api/exports/{export_id}", headers=auth)).json()
    assert (view["status"], view["brokerSubmission"]) == ("ATTENTION_REQUIRED", submission)
    assert await events_of(stack, world, export_id, "RETRY_REQUESTED") == []

    await page.get_by_role("link", name="Back to the current state").click()
    form = page.locator(f"tr[data-group='{listed['group']}'] form.retry")
    sent = await fields_of(form)
    await form.get_by_role("button", name="Retry group").click()
    await expect(result).to_have_attribute("data-action", "retry")
    await expect(result).to_have_attribute("data-dry-run", "false")
    await expect(line.locator(".outcome")).to_have_text("retried")
    await wait_status(stack, auth, export_id, {"COMPLETED"}, loops=600)

    # the same form again (a reload, a second click) answers what the first did, and only that
    answer = await visit.request.post("/console/operations/retry", form=sent)
    assert answer.status == 200
    again = await answer.text()
    assert "Nothing was done again" in again
    assert re.search(rf"data-export=\"{export_id}\"[\s\S]*?o-retried", again)
    retried = await events_of(stack, world, export_id, "RETRY_REQUESTED")
    assert [e["actor"] for e in retried] == [key_id]
    assert (await stack.api.get("/api/operations/failures", headers=auth)).json()["data"] == []


async def test_a_reviewer_reads_the_page_but_cannot_act(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext
) -> None:
    world = await stack.world(pool)
    admin = world.tenant.auth("admin")
    broker = f"broker:{world.broker_id}"
    warehouse = f"warehouse:{world.warehouse_id}"
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/pause", headers=admin, json={"reason": "held by ops"}
    )
    assert r.status_code == 200, r.text
    try:
        export_id = await execute(stack, world, "READER")
        page = await operations(visit, world.tenant.keys["reviewer"])
        await expect(page.locator("#read-only")).to_contain_text("no admin role")
        paused = page.locator(f"tr[data-destination='{broker}']")
        await expect(paused.locator(".paused-reason")).to_contain_text("held by ops")
        await expect(paused.get_by_role("button", name="Resume")).to_be_disabled()
        closed = page.locator(f"tr[data-destination='{warehouse}']")
        await expect(closed.get_by_role("button", name="Pause")).to_be_disabled()
        await expect(closed.get_by_label("Reason")).to_be_disabled()
        group = page.locator(f"tr[data-group='{broker}|WAITING_PAUSED']")
        await expect(group.get_by_role("link", name=export_id)).to_be_visible(timeout=LIVE)
        for name in ("Preview retry", "Retry group", "Cancel group"):
            await expect(group.get_by_role("button", name=name)).to_be_disabled()

        # the page's own forms, sent anyway with the session's cookie and token: 403, nothing done
        pause = await fields_of(closed.locator("form.pause")) | {"reason": "not mine to pause"}
        path = f"/console/operations/destinations/warehouse/{world.warehouse_id}/pause"
        answer = await visit.request.post(path, form=pause)
        assert answer.status == 403
        assert "needs a key with the admin role" in await answer.text()
        resume = await fields_of(paused.locator("form.resume"))
        answer = await visit.request.post(
            f"/console/operations/destinations/broker/{world.broker_id}/resume", form=resume
        )
        assert answer.status == 403
        cancel = await fields_of(group.locator("form.cancel"))
        answer = await visit.request.post("/console/operations/cancel", form=cancel)
        assert answer.status == 403
        assert "needs a key with the admin role" in await answer.text()
        assert (await destination(stack, world, warehouse))["state"] == "CLOSED"
        assert (await destination(stack, world, warehouse))["events"] == []
        assert (await destination(stack, world, broker))["state"] == "PAUSED"
        view = (await stack.api.get(f"/api/exports/{export_id}", headers=admin)).json()
        assert view["status"] == "EXECUTING"  # not cancelled
        # over plain HTTP too, the session's cookie without a browser
        cookies = {c["name"]: c["value"] for c in await visit.cookies()}
        async with httpx.AsyncClient(base_url=str(stack.api.base_url), cookies=cookies) as http:
            plain = await http.post("/console/operations/retry", data=cancel)
        assert plain.status_code == 403
        assert await events_of(stack, world, export_id, "RETRY_REQUESTED") == []
    finally:
        r = await stack.api.post(f"/api/brokers/{world.broker_id}/resume", headers=admin, json={})
        assert r.status_code == 200, r.text
    await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"}, loops=600)


async def test_a_double_submit_of_a_form_is_one_action(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext
) -> None:
    world = await stack.world(pool)
    key_id, secret = await operator_key(pool, world)
    ident = f"warehouse:{world.warehouse_id}"
    page = await operations(visit, secret)
    form = page.locator(f"tr[data-destination='{ident}'] form.pause")
    sent = await fields_of(form) | {"reason": "dock closed for inventory"}
    path = f"/console/operations/destinations/warehouse/{world.warehouse_id}/pause"
    # both at once: the second waits for the first and answers what it answered
    first, second = await asyncio.gather(
        visit.request.post(path, form=sent), visit.request.post(path, form=sent)
    )
    for answer in (first, second):
        assert answer.status == 200, await answer.text()
        assert answer.url.endswith("/console/operations?done=pause")
        assert "Paused: nothing is sent" in await answer.text()
    # the same form with another reason is another request: refused, nothing written
    answer = await visit.request.post(path, form=sent | {"reason": "something else"})
    assert answer.status == 409
    assert "different request" in await answer.text()
    found = await destination(stack, world, ident)
    assert (found["state"], found["pausedReason"]) == ("PAUSED", "dock closed for inventory")
    assert [(e["type"], e["actor"]) for e in found["events"]] == [("DESTINATION_PAUSED", key_id)]
