"""The review console in Debian's Chromium against the running stack: sign in, the queue, the
export page, the invoice preview, approve / reject / retry, four eyes, CSRF, escaping, session
expiry; and no page asks another host for anything."""

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Request, expect

from entrygo.seed import demo_products, seed_demo
from tests.support.browser import chromium, sign_in
from tests.support.stack import Stack, wait_status

LIVE = 20_000  # ms a live update may take to show (the page polls every 2 s)


@pytest_asyncio.fixture(scope="module")
async def demo(stack: Stack, pool: asyncpg.Pool, tmp_path_factory: Any) -> dict[str, Any]:
    """The demo account `make run` seeds; its email broker delivers to the stack's SMTP sink."""
    async with pool.acquire() as conn:
        seeded = await seed_demo(
            conn, tmp_path_factory.mktemp("demo"), stack.broker_url, "entries@broker.test"
        )
    return {**seeded, "brokerId": seeded["emailBrokerId"]}


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


class Visit:
    """A browser context that records every request its pages make."""

    def __init__(self, context: BrowserContext, base: str) -> None:
        self.context = context
        self.base = base
        self.requests: list[Request] = []
        self.dialogs: list[str] = []

    async def page(self) -> Page:
        page = await self.context.new_page()

        def record(request: Request) -> None:
            self.requests.append(request)

        async def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            await d.dismiss()

        page.on("request", record)
        page.on("dialog", dialog)
        return page

    def elsewhere(self) -> list[str]:
        """Requests that went anywhere but the API's host and port."""
        own = urlsplit(self.base).netloc
        return [
            r.url
            for r in self.requests
            if urlsplit(r.url).scheme not in ("data", "blob", "about")
            and urlsplit(r.url).netloc != own
        ]


@pytest_asyncio.fixture
async def visit(stack: Stack, browser: Browser) -> AsyncIterator[Visit]:
    base = str(stack.api.base_url).rstrip("/")
    context = await browser.new_context(base_url=base)
    v = Visit(context, base)
    try:
        yield v
    finally:
        await context.close()
    assert v.elsewhere() == []  # every page, every test: nothing from another host
    assert v.dialogs == []  # no script of ours or anyone's opened a dialog


def demo_product(demo: dict[str, Any], sku: str) -> str:
    skus = [p["externalId"] for p in demo_products()]
    return str(demo["productIds"][skus.index(sku)])


async def plan_products(
    stack: Stack,
    demo: dict[str, Any],
    lines: list[tuple[str, int]],
    *,
    execute: bool = True,
    tag: str = "",
) -> dict[str, Any]:
    """Sync one order of the given products (demo SKUs or product ids), plan it and (by
    default) ask to execute."""
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    items = [
        {
            "productId": sku if sku.startswith("prod_") else demo_product(demo, sku),
            "quantity": qty,
        }
        for sku, qty in lines
    ]
    r = await stack.api.post(
        "/api/orders/sync",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "items": [
                {
                    "externalId": f"console-{tag}-{uuid.uuid4().hex[:8]}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": "Demo Buyer", "address": "1 Demo Street, New York"},
                    "items": items,
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        "/api/exports/plan",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "warehouseId": demo["warehouseId"],
            "brokerId": demo["brokerId"],
            "orderIds": [r.json()["data"][0]["id"]],
        },
    )
    assert r.status_code == 201, r.text
    plan: dict[str, Any] = r.json()
    if execute and plan["readinessState"] != "BLOCKED":
        r = await stack.api.post(
            "/api/exports/execute",
            headers=headers,
            json={"accountId": demo["accountId"], "batchId": plan["exportId"]},
        )
        assert r.status_code in (200, 202), r.text
    return plan


async def test_reviewer_signs_in_previews_and_approves_until_executed(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()
    # the queue is live: an export planned after the page loaded appears without a reload
    await page.evaluate("window.__sameDocument = true")
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 1)], tag="approve")
    assert plan["readinessState"] == "REVIEW_REQUIRED"
    row = page.locator(f"tr[data-export='{plan['exportId']}']")
    await expect(row).to_be_visible(timeout=LIVE)
    assert await page.evaluate("window.__sameDocument === true")
    await expect(page).to_have_title(re.compile(r"\(\d+\) Awaiting review"))
    await expect(row).to_contain_text("PGA_CPSC_CERTIFICATE")

    await row.get_by_role("link", name=plan["exportId"]).click()
    await expect(page.locator("#export-status")).to_have_text("AWAITING_APPROVAL")
    await expect(page.locator("#orders")).to_contain_text("PGA_CPSC_CERTIFICATE")
    await expect(page.locator("#plan-hash")).to_have_text(plan["planHash"])
    await expect(page.locator("#orders")).to_contain_text("Wooden")

    await page.get_by_role("link", name="Invoice preview").click()
    await expect(page.locator("#draft-mark")).to_contain_text("DRAFT")
    await expect(page).to_have_title(re.compile("^DRAFT Commercial Invoice"))
    assert plan["planHash"] in await page.content()
    await page.go_back()

    await page.get_by_role("button", name="Approve").click()
    await page.evaluate("window.__sameDocument = true")
    await expect(page.locator("#export-status")).to_have_text(
        re.compile("EXECUTED|COMPLETED"), timeout=LIVE
    )
    assert await page.evaluate("window.__sameDocument === true")  # no reload: the page updated
    await expect(page.locator(".approved-by")).to_contain_text("Dana")
    await expect(page.locator("#artifacts")).to_contain_text("commercial_customs_invoice")


async def test_reject_needs_a_reason_and_records_who(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 2)], tag="reject")
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{plan['exportId']}")
    # an empty reason is stopped by the browser; sent anyway, the server refuses it too
    await page.locator("#reject-reason").evaluate("el => el.removeAttribute('required')")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.locator("#reject-error")).to_contain_text("reason is required")
    await expect(page.locator("#export-status")).to_have_text("AWAITING_APPROVAL")
    await page.get_by_label("Reason for rejection").fill("Certificate of conformity is missing.")
    await page.get_by_role("button", name="Reject").click()
    await expect(page.locator("#export-status")).to_have_text("REJECTED", timeout=LIVE)
    await expect(page.locator("#rejected-by")).to_contain_text("Certificate of conformity")
    view = await wait_status(
        stack,
        {"authorization": f"Bearer {demo['keys']['reviewer']}"},
        plan["exportId"],
        {"REJECTED"},
    )
    rejected = [e for e in view["events"] if e["type"] == "EXPORT_REJECTED"]
    assert rejected[0]["data"]["reason"] == "Certificate of conformity is missing."


async def test_integration_key_is_refused_at_sign_in(demo: dict[str, Any], visit: Visit) -> None:
    page = await visit.page()
    await sign_in(page, demo["keys"]["integration"])
    await expect(page.locator("#sign-in-error")).to_contain_text("only the integration role")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))  # no session was made


async def test_a_post_without_the_csrf_token_is_refused(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 3)], tag="csrf")
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()
    # the browser's own cookies go with it: only the token is missing
    url = f"/console/exports/{plan['exportId']}/approve"
    r = await visit.context.request.post(url, form={"planHash": plan["planHash"]})
    assert r.status == 403
    assert "security token" in await r.text()
    r = await visit.context.request.post(
        url, form={"planHash": plan["planHash"], "csrf": "not-the-token"}
    )
    assert r.status == 403
    view = await stack.api.get(
        f"/api/exports/{plan['exportId']}",
        headers={"authorization": f"Bearer {demo['keys']['reviewer']}"},
    )
    assert view.json()["approval"]["state"] == "PENDING"  # nothing was decided


async def test_a_script_in_a_description_is_shown_as_text(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    script = "<script>alert(1)</script>"
    r = await stack.api.post(
        "/api/products/sync",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "items": [
                {
                    "externalId": f"SKU-XSS-{uuid.uuid4().hex[:6]}",
                    "description": script,
                    "hsCode": "9503.00.0073",
                    "countryOfOrigin": "DE",
                    "unitValueUsd": 20,
                    "weightKg": 0.5,
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    plan = await plan_products(
        stack, demo, [(r.json()["data"][0]["id"], 1)], execute=False, tag="xss"
    )
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{plan['exportId']}")
    cell = page.locator("td.description", has_text=script)
    await expect(cell).to_have_count(1)
    assert await page.locator("main script").count() == 0
    assert plan["readinessState"] == "REVIEW_REQUIRED"  # a toy: the preview is offered
    await page.get_by_role("link", name="Invoice preview").click()
    await expect(page.get_by_text(script)).to_have_count(1)
    assert await page.locator("script").count() == 0
    # visit's teardown asserts that no dialog opened


async def test_the_session_expires(
    stack: Stack, demo: dict[str, Any], visit: Visit, pool: asyncpg.Pool
) -> None:
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()
    cookies = await visit.context.cookies()
    session = next(c for c in cookies if c["name"] == "entrygo_console")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["expires"] > 0  # not a browser-session cookie: it carries its expiry
    async with pool.acquire() as conn:  # eight hours pass
        await conn.execute(
            """UPDATE console_sessions SET expires_at = now() - interval '1 second'
               WHERE key_id = (SELECT key_id FROM console_sessions ORDER BY created_at DESC
                               LIMIT 1) AND ended_at IS NULL"""
        )
    # the live page notices at its next poll and lands on the sign-in form
    await expect(page).to_have_url(re.compile(r"/console/sign-in"), timeout=LIVE)
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))


async def test_attention_required_is_retried_from_the_page(
    stack: Stack, pool: asyncpg.Pool, visit: Visit
) -> None:
    world = await stack.world(pool)
    ids = await world.orders(stack.api, "SKU-SCARF")
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
    )
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    page = await visit.page()
    await sign_in(page, world.tenant.keys["reviewer"])
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()
    r = await stack.broker.post(
        "/_sandbox/faults", json={"reject": "sync", "rejectReason": "invoice lacks a signature"}
    )
    assert r.status_code == 200
    try:
        r = await stack.api.post(
            "/api/exports/execute",
            headers=world.tenant.auth(),
            json={"accountId": world.tenant.account_id, "batchId": export_id},
        )
        assert r.status_code in (200, 202), r.text
        # the queue's second section shows it, with the failing step and the error
        row = page.locator(f"#attention tr[data-export='{export_id}']")
        await expect(row).to_contain_text("send", timeout=LIVE)
        await expect(row).to_contain_text("invoice lacks a signature")
    finally:
        await stack.broker.post("/_sandbox/faults", json={"reject": None})
    await row.get_by_role("link", name=export_id).click()
    await expect(page.locator("#attention")).to_contain_text("invoice lacks a signature")
    await page.get_by_role("button", name="Retry").click()
    await expect(page.locator("#export-status")).to_have_text(
        re.compile("EXECUTED|COMPLETED"), timeout=LIVE
    )
    view = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})
    retried = [e for e in view["events"] if e["type"] == "RETRY_REQUESTED"]
    assert len(retried) == 1


async def test_a_plan_that_changed_under_review_is_shown_before_approval(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 1)], execute=False, tag="moved")
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{plan['exportId']}")
    await expect(page.locator("#plan-hash")).to_have_text(plan["planHash"])
    await page.locator("#approve-comment").fill("checked the certificate")  # pauses live refresh
    # meanwhile the integration adds an order and re-plans the same export
    scarf = await plan_products(stack, demo, [("SKU-WOOL-SCARF", 1)], execute=False, tag="add")
    r = await stack.api.post(
        "/api/exports/plan",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "warehouseId": demo["warehouseId"],
            "brokerId": demo["brokerId"],
            "batchId": plan["exportId"],
            "orderIds": [*plan["included_order_ids"], *scarf["included_order_ids"]],
        },
    )
    assert r.status_code == 200, r.text
    replanned = r.json()
    assert replanned["planHash"] != plan["planHash"]
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#notice")).to_contain_text("The plan changed")
    await expect(page.locator("#plan-hash")).to_have_text(replanned["planHash"])
    # what changed since this reviewer looked: the scarf's order was added
    await expect(page.locator("#changes")).to_contain_text("Order added")
    await expect(page.locator("#changes")).to_contain_text(scarf["included_order_ids"][0])
    view = await stack.api.get(f"/api/exports/{plan['exportId']}", headers=headers)
    assert view.json()["approval"]["state"] == "PENDING"  # the old plan was not approved


async def test_the_preview_is_the_invoice_execution_produces(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    plan = await plan_products(
        stack, demo, [("SKU-WOODEN-TOY", 2), ("SKU-WOOL-SCARF", 1)], tag="preview"
    )
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{plan['exportId']}")
    await page.get_by_role("link", name="Invoice preview").click()
    await expect(page.locator("#draft-mark")).to_be_visible()
    draft = await (
        await visit.context.request.get(
            f"/console/exports/{plan['exportId']}/invoice-preview?planHash={plan['planHash']}"
        )
    ).text()
    # the preview made nothing: no package, no artifact
    reviewer = {"authorization": f"Bearer {demo['keys']['reviewer']}"}
    view = (await stack.api.get(f"/api/exports/{plan['exportId']}", headers=reviewer)).json()
    assert view["customs_package_id"] is None
    assert view["artifacts"] == []
    r = await stack.api.post(
        f"/api/exports/{plan['exportId']}/approve",
        headers=reviewer,
        json={"planHash": plan["planHash"]},
    )
    assert r.status_code in (200, 202), r.text
    view = await wait_status(stack, reviewer, plan["exportId"], {"EXECUTED", "COMPLETED"})
    html = next(a for a in view["artifacts"] if a["artifact_type"] == "cci_human_readable")
    executed = (await stack.api.get(html["downloadUrl"], headers=reviewer)).text
    package = view["customsPackage"]
    assert package["planHash"] == plan["planHash"]
    assert draft_to_final(draft, package["packageNumber"], package["id"]) == executed


def draft_to_final(draft: str, package_number: str, package_id: str) -> str:
    """The draft with what only execution knows put in: the package number and id, and the
    DRAFT mark taken out. Everything else (lines, values, parties, flags, dates) must match."""
    year = package_number.split("-")[1] if "-" in package_number else ""
    text = re.sub(r'<p class="draft" id="draft-mark">.*?</p>\n', "", draft, flags=re.DOTALL)
    text = text.replace("<title>DRAFT ", "<title>").replace("<h1>DRAFT ", "<h1>")
    text = text.replace(f"DRAFT-{year}", package_number) if year else text
    return text.replace(">DRAFT<", f">{package_id}<")


async def test_four_eyes_need_two_different_reviewers(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    admin = {"authorization": f"Bearer {demo['keys']['admin']}"}
    r = await stack.api.post(
        "/api/keys",
        headers=admin,
        json={"name": "second reviewer", "roles": ["reviewer"], "label": "Sam Second"},
    )
    assert r.status_code == 201, r.text
    second = r.json()["key"]
    # 300 toys at 35 USD: 10,500 USD, over the 10,000 USD four-eyes amount
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 300)], tag="four-eyes")
    assert plan["readinessState"] == "REVIEW_REQUIRED", plan["validationMessages"]
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{plan['exportId']}")
    await expect(page.locator("#four-eyes")).to_contain_text("Two different reviewers")
    await expect(page.locator("#review-deadline")).to_be_visible()
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#approval-state")).to_have_text("PARTIALLY_APPROVED")
    await expect(page.locator("#export-status")).to_have_text("AWAITING_APPROVAL")
    # the same key cannot approve twice
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#error")).to_contain_text("already approved")
    await expect(page.locator("#approval-state")).to_have_text("PARTIALLY_APPROVED")
    # a second key completes the approval
    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, second)
    await page.goto(f"/console/exports/{plan['exportId']}")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#export-status")).to_have_text(
        re.compile("EXECUTING|EXECUTED|COMPLETED"), timeout=LIVE
    )
    await expect(page.locator("#approval-state")).to_have_text("APPROVED")
    approvers = page.locator(".approved-by")
    await expect(approvers).to_have_count(2)
    await expect(approvers.nth(1)).to_contain_text("Sam Second")


async def test_screenshots_of_the_queue_and_an_export_page(
    stack: Stack, demo: dict[str, Any], visit: Visit, tmp_path: Any
) -> None:
    """The pictures in docs/console.md (ENTRYGO_SCREENSHOTS=docs/img writes them there)."""
    target = Path(os.environ.get("ENTRYGO_SCREENSHOTS", str(tmp_path)))
    await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
    plan = await plan_products(
        stack, demo, [("SKU-WOODEN-TOY", 2), ("SKU-WOOL-SCARF", 1)], tag="picture"
    )
    await plan_products(stack, demo, [("SKU-SAFFRON", 1), ("SKU-CERAMIC-MUG", 2)], tag="picture")
    page = await visit.page()
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, demo["keys"]["reviewer"])
    await expect(page.locator(f"tr[data-export='{plan['exportId']}']")).to_be_visible()
    await page.screenshot(path=str(target / "console-queue.png"), full_page=False)
    await page.goto(f"/console/exports/{plan['exportId']}")
    await expect(page.locator("#orders")).to_contain_text("PGA_CPSC_CERTIFICATE")
    await page.screenshot(path=str(target / "console-export.png"), full_page=True)
    for name in ("console-queue.png", "console-export.png"):
        png = await asyncio.to_thread((target / name).read_bytes)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


async def test_a_broker_request_is_listed_and_answered_from_the_console(
    stack: Stack, pool: asyncpg.Pool, visit: Visit
) -> None:
    world = await stack.reporting_release(await stack.world(pool))
    auth = world.tenant.auth()
    r = await stack.api.post(
        "/api/orders/sync",
        headers=auth,
        json={
            "accountId": world.tenant.account_id,
            "items": [world.scenario_order("info_request")],
        },
    )
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        "/api/exports/plan", headers=auth, json=world.plan_body([r.json()["data"][0]["id"]])
    )
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    r = await stack.api.post(
        "/api/exports/execute",
        headers=auth,
        json={"accountId": world.tenant.account_id, "batchId": export_id},
    )
    assert r.status_code in (200, 202), r.text
    await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    page = await visit.page()
    await sign_in(page, world.tenant.keys["reviewer"])
    # the queue's broker section: the request, its age and due date
    row = page.locator(f"#broker-requests tr[data-export='{export_id}']")
    await expect(row).to_contain_text("req-1", timeout=LIVE)
    await expect(row).to_contain_text("street address")
    await row.get_by_role("link", name=export_id).click()
    request = page.locator("article.broker-request[data-request='req-1']")
    await expect(request.locator(".request-status")).to_have_text("OPEN")
    await request.get_by_label(re.compile("Answer")).fill("The street address is Gatan 1.")
    await request.get_by_role("button", name="Answer and re-plan").click()
    await expect(page.get_by_text("the amendment sent")).to_be_visible(timeout=LIVE)
    # the broker asked once: the amendment has a street number, so it files and releases
    view = await wait_status(stack, auth, export_id, {"COMPLETED"})
    assert [a["number"] for a in view["broker"]["amendments"]] == [1]
    assert view["broker"]["requests"][0]["answer"]["message"] == "The street address is Gatan 1."


async def test_a_filter_chosen_but_not_applied_survives_a_live_change(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    first = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 1)], tag="keep-filter")
    second = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 1)], tag="keep-filter")
    reviewer = {"authorization": f"Bearer {demo['keys']['reviewer']}"}
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto("/console")
    await expect(page.locator(f"tr[data-export='{first['exportId']}']")).to_be_visible()
    await expect(page.locator("body")).to_have_attribute("data-live-connected", "yes")
    held_by = page.get_by_label("Held by")
    await held_by.select_option("me")
    await held_by.evaluate("list => list.blur()")  # only the choice says the reviewer is busy
    refreshed = await page.locator("body").get_attribute("data-refreshed")
    r = await stack.api.post(f"/api/exports/{first['exportId']}/claim", headers=reviewer)
    assert r.status_code == 200, r.text
    await asyncio.sleep(4.0)  # the signal comes at once; a page that swaps would have swapped
    await expect(held_by).to_have_value("me")
    assert await page.locator("body").get_attribute("data-refreshed") == refreshed
    await page.get_by_role("button", name="Filter").click()
    await expect(page).to_have_url(re.compile(r"holder=me"))
    await expect(page.locator(f"#awaiting tr[data-export='{first['exportId']}']")).to_be_visible()
    # the filter applied, the page follows changes again
    r = await stack.api.post(f"/api/exports/{second['exportId']}/claim", headers=reviewer)
    assert r.status_code == 200, r.text
    await expect(page.locator(f"#awaiting tr[data-export='{second['exportId']}']")).to_be_visible(
        timeout=LIVE
    )


async def test_the_live_page_is_told_of_changes_instead_of_asking(
    stack: Stack, demo: dict[str, Any], visit: Visit
) -> None:
    plan = await plan_products(stack, demo, [("SKU-WOODEN-TOY", 1)], execute=False, tag="live")
    export_id = plan["exportId"]
    page = await visit.page()
    await sign_in(page, demo["keys"]["reviewer"])
    await page.goto(f"/console/exports/{export_id}")
    await expect(page.locator("body")).to_have_attribute("data-live-connected", "yes")
    await page.evaluate("window.__sameDocument = true")

    def asked() -> int:
        return sum(
            1 for r in visit.requests if urlsplit(r.url).path == f"/console/exports/{export_id}"
        )

    await asyncio.sleep(1.0)  # the ask made when the stream opened
    before = asked()
    await asyncio.sleep(6.0)  # three of the old 2-second polls
    assert asked() == before  # nothing changed, so the page asked for nothing
    r = await stack.api.post(
        f"/api/exports/{export_id}/claim",
        headers={"authorization": f"Bearer {demo['keys']['reviewer']}"},
    )
    assert r.status_code == 200, r.text
    await expect(page.locator("main")).to_contain_text("REVIEW_CLAIMED", timeout=LIVE)
    assert await page.evaluate("window.__sameDocument === true")
    assert asked() > before
