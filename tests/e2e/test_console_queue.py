"""The shared review queue in Debian's Chromium against the running stack (docs/console.md "A
shared queue"): claim from the export page and another reviewer's claim refused, a lead's
assignment, the "Assigned to me" view and a bookmarked filter URL, comments in the timeline,
changes requested (and the export back with its reviewer after a re-plan), bulk approve with one
plan changed after the page was shown and one under four eyes, bulk reject needing a reason, a
reload of a result deciding nothing again; and the time to decide 50 exports of one cluster in
bulk against one by one (printed, not asserted)."""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect

from store.accounts import create_key
from tests.support.browser import chromium
from tests.support.stack import Stack
from tests.support.tenants import World

LIVE = 20_000  # ms a live update may take to show (the page polls every 2 s)
REVIEW_SKU = "SKU-SCARF-8"  # its HS code is too short: every plan of it needs review
DANA = "Dana Diaz"
SAM = "Sam Second"
LEAD = "Lee Lead"
MEASURED = 50


@dataclass
class Person:
    """A key of the account: its id, its secret, what people call it."""

    key_id: str
    secret: str
    label: str


@dataclass
class Team:
    """A world with two reviewers and a lead (reviewer and admin)."""

    world: World
    dana: Person
    sam: Person
    lead: Person

    @property
    def auth(self) -> dict[str, str]:
        return self.world.tenant.auth()


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture
async def contexts(stack: Stack, browser: Browser) -> AsyncIterator[list[BrowserContext]]:
    """Browser contexts a test opens (one per person), closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        await context.close()


@pytest_asyncio.fixture
async def team(stack: Stack, pool: asyncpg.Pool) -> Team:
    world = await stack.world(pool)
    made = []
    for label, roles in ((DANA, ["reviewer"]), (SAM, ["reviewer"]), (LEAD, ["reviewer", "admin"])):
        async with pool.acquire() as conn:
            key, secret = await create_key(
                conn, world.tenant.account_id, label.lower(), roles, label=label
            )
        made.append(Person(key.id, secret, label))
    return Team(world, *made)


async def signed_in(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], person: Person
) -> Page:
    """A page of a browser of its own, signed in as `person`."""
    context = await browser.new_context(base_url=str(stack.api.base_url).rstrip("/"))
    contexts.append(context)
    page = await context.new_page()
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    await page.get_by_label("API key").fill(person.secret)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name=re.compile("Awaiting review"))).to_be_visible()
    return page


async def plan_many(
    stack: Stack, world: World, n: int, *, quantity: int = 2
) -> list[dict[str, Any]]:
    """`n` exports of one order each of the review SKU, planned without execution."""
    items = [
        {
            "externalId": f"queue-{uuid.uuid4().hex[:10]}",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
            "items": [{"productId": world.products[REVIEW_SKU], "quantity": quantity}],
        }
        for _ in range(n)
    ]
    r = await stack.api.post(
        "/api/orders/sync",
        json={"accountId": world.tenant.account_id, "items": items},
        headers=world.tenant.auth(),
    )
    assert r.status_code == 200, r.text
    gate = asyncio.Semaphore(8)

    async def one(order_id: str) -> dict[str, Any]:
        async with gate:
            r = await stack.api.post(
                "/api/exports/plan", json=world.plan_body([order_id]), headers=world.tenant.auth()
            )
        assert r.status_code == 201, r.text
        planned: dict[str, Any] = r.json()
        assert planned["readinessState"] == "REVIEW_REQUIRED"
        return planned

    return list(await asyncio.gather(*(one(o["id"]) for o in r.json()["data"])))


async def replan_with_another_order(stack: Stack, team: Team, planned: dict[str, Any]) -> str:
    """Re-plan the export with one more order: its planHash changes; the new one."""
    [extra] = await team.world.orders(stack.api, REVIEW_SKU)
    r = await stack.api.post(
        f"/api/exports/{planned['exportId']}/replan",
        json={"orderIds": [*planned["included_order_ids"], extra]},
        headers=team.world.tenant.auth("integration"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["planHash"] != planned["planHash"]
    return str(r.json()["planHash"])


async def view_of(stack: Stack, team: Team, export_id: str) -> dict[str, Any]:
    r = await stack.api.get(f"/api/exports/{export_id}", headers=team.auth)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def events_of(stack: Stack, team: Team, export_id: str, kind: str) -> list[dict[str, Any]]:
    r = await stack.api.get(f"/api/exports/{export_id}/events?limit=500", headers=team.auth)
    return [e for e in r.json()["data"] if e["type"] == kind]


async def form_fields(page: Page, selector: str) -> dict[str, str]:
    """What the form would send now (checked boxes only, no submit button)."""
    fields: dict[str, str] = await page.locator(selector).evaluate(
        "form => Object.fromEntries(new FormData(form))"
    )
    return fields


async def test_claim_assign_and_the_assigned_to_me_view(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    [planned] = await plan_many(stack, team.world, 1)
    export_id = planned["exportId"]
    dana = await signed_in(stack, browser, contexts, team.dana)
    await dana.goto(f"/console/exports/{export_id}")
    await expect(dana.locator("#holder")).to_have_text("nobody")
    await dana.get_by_role("button", name="Claim").click()
    await expect(dana.locator("#notice")).to_have_text("Claimed: you hold this export's review.")
    await expect(dana.locator("#holder")).to_contain_text(DANA)
    await expect(dana.get_by_role("button", name="Claim")).to_have_count(0)

    sam = await signed_in(stack, browser, contexts, team.sam)
    await sam.goto(f"/console/exports/{export_id}")
    await expect(sam.locator("#holder")).to_contain_text(DANA)
    async with sam.expect_response(re.compile(r"/claim$")) as claimed:
        await sam.get_by_role("button", name="Claim").click()
    assert (await claimed.value).status == 409
    await expect(sam.locator("#error")).to_contain_text(f"{DANA} holds this export")
    await expect(sam.get_by_role("button", name="Release")).to_have_count(0)  # not a lead
    assert len(await events_of(stack, team, export_id, "REVIEW_CLAIMED")) == 1

    lead = await signed_in(stack, browser, contexts, team.lead)
    await lead.goto(f"/console/exports/{export_id}")
    await lead.get_by_label("Assign to").select_option(label=SAM)
    await lead.get_by_role("button", name="Assign").click()
    await expect(lead.locator("#holder")).to_contain_text(SAM)
    await expect(lead.locator("#holder")).to_contain_text(f"assigned by {LEAD}")
    [assigned] = await events_of(stack, team, export_id, "REVIEW_ASSIGNED")
    assert (assigned["data"]["from"], assigned["data"]["to"]) == (team.dana.key_id, team.sam.key_id)
    assert (await view_of(stack, team, export_id))["holder"]["actor"] == team.sam.key_id

    # Sam's "Assigned to me" has it, Dana's has not
    await sam.goto("/console")
    await sam.get_by_role("link", name="Assigned to me").click()
    await expect(sam).to_have_url(re.compile(r"holder=me"))
    row = sam.locator(f"#awaiting tr[data-export='{export_id}']")
    await expect(row).to_be_visible()
    await expect(row.locator("td.holder")).to_contain_text(SAM)
    await expect(row.locator("td.deadline")).to_contain_text("UTC")
    await dana.goto("/console?holder=me")
    await expect(dana.locator(f"tr[data-export='{export_id}']")).to_have_count(0)
    await expect(dana.locator("#awaiting")).to_contain_text("Nothing awaits review")

    # a bookmarked view comes back as it was chosen
    code = sorted({c for d in planned["decisions"] for c in d["reasonCodes"]})[0]
    await sam.goto("/console")
    await sam.get_by_label("Held by").select_option("me")
    await sam.get_by_label("Reason code", exact=True).select_option(code)
    await sam.get_by_label("Sort by").select_option("waiting")
    await sam.get_by_role("button", name="Filter").click()
    await expect(sam).to_have_url(re.compile(r"holder=me"))
    bookmark = sam.url
    assert f"code={code}" in bookmark
    assert "sort=waiting" in bookmark
    fresh = await signed_in(stack, browser, contexts, team.sam)
    await fresh.goto(bookmark)
    await expect(fresh.get_by_label("Held by")).to_have_value("me")
    await expect(fresh.get_by_label("Reason code", exact=True)).to_have_value(code)
    await expect(fresh.get_by_label("Sort by")).to_have_value("waiting")
    await expect(fresh.locator(f"#awaiting tr[data-export='{export_id}']")).to_be_visible()

    # the holder lets it go
    await sam.goto(f"/console/exports/{export_id}")
    await sam.get_by_role("button", name="Release").click()
    await expect(sam.locator("#holder")).to_have_text("nobody")
    assert (await view_of(stack, team, export_id))["holder"] is None


async def test_a_comment_is_in_the_timeline_once(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    [planned] = await plan_many(stack, team.world, 1)
    export_id = planned["exportId"]
    dana = await signed_in(stack, browser, contexts, team.dana)
    await dana.goto(f"/console/exports/{export_id}")
    text = "The HS code needs all ten digits; ask the catalogue team."
    await dana.get_by_label("Comment", exact=True).fill(text)
    sent = await form_fields(dana, "form.comment")
    await dana.get_by_role("button", name="Add comment").click()
    await expect(dana.locator("#notice")).to_have_text("Comment added.")
    timeline = dana.locator("#timeline")
    await expect(timeline).to_contain_text("COMMENT_ADDED")
    await expect(timeline).to_contain_text(text)
    # the same form posted again (a double submit) is the same comment
    again = await dana.context.request.post(f"/console/exports/{export_id}/comments", form=sent)
    assert again.ok, await again.text()
    [comment] = await events_of(stack, team, export_id, "COMMENT_ADDED")
    assert comment["data"]["text"] == text
    assert (comment["actor"], comment["data"]["label"]) == (team.dana.key_id, DANA)


async def test_request_changes_and_the_plan_comes_back_to_the_reviewer(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    [planned] = await plan_many(stack, team.world, 1)
    export_id = planned["exportId"]
    code = sorted({c for d in planned["decisions"] for c in d["reasonCodes"]})[0]
    dana = await signed_in(stack, browser, contexts, team.dana)
    await dana.goto(f"/console/exports/{export_id}")
    form = dana.locator("#request-changes")
    await form.get_by_label(code, exact=True).check()
    await form.get_by_label(re.compile("What must change")).fill("Send the ten-digit HTS code.")
    await form.get_by_role("button", name="Request changes").click()
    await expect(dana.locator("#notice")).to_contain_text("Changes requested")
    await expect(dana.locator("#changes-requested")).to_contain_text("waiting for a new plan")
    await expect(dana.locator("#timeline")).to_contain_text("CHANGES_REQUESTED")
    [asked] = await events_of(stack, team, export_id, "CHANGES_REQUESTED")
    assert asked["data"]["reasonCodes"] == [code]
    assert (asked["data"]["by"], asked["data"]["planHash"]) == (
        team.dana.key_id,
        planned["planHash"],
    )
    # the integrator re-plans: the new plan is Dana's again, with what changed
    new_hash = await replan_with_another_order(stack, team, planned)
    await dana.goto(f"/console/exports/{export_id}")
    await expect(dana.locator("#plan-hash")).to_have_text(new_hash)
    await expect(dana.locator("#holder")).to_contain_text(DANA)
    await expect(dana.locator("#changes-requested")).to_contain_text("answered by plan")
    await expect(dana.locator("#changes")).to_contain_text("Order added")
    [back] = await events_of(stack, team, export_id, "REVIEW_ASSIGNED")
    assert (back["data"]["to"], back["data"]["reason"]) == (team.dana.key_id, "CHANGES_REQUESTED")


async def test_bulk_approve_skips_a_changed_plan_and_reports_four_eyes(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    plans = await plan_many(stack, team.world, 3)
    # 300 scarves at 40 USD: 12,000 USD, over the four-eyes amount
    [big] = await plan_many(stack, team.world, 1, quantity=300)
    changed = plans[0]
    dana = await signed_in(stack, browser, contexts, team.dana)
    for p in [*plans, big]:
        await dana.get_by_label(f"Select {p['exportId']}").check()
    # the page is shown; meanwhile one plan changes
    await replan_with_another_order(stack, team, changed)
    sent = {**await form_fields(dana, "#bulk"), "action": "approve"}
    await dana.get_by_role("button", name="Approve selected").click()
    await expect(dana.get_by_role("heading", name=re.compile("Approve selected"))).to_be_visible()
    skipped = dana.locator(f"#skipped tr[data-export='{changed['exportId']}']")
    await expect(skipped).to_contain_text("The plan changed after the page was shown")
    for p in plans[1:]:
        await expect(dana.locator(f"#decided tr[data-export='{p['exportId']}']")).to_contain_text(
            "approved"
        )
    await expect(dana.locator(f"#decided tr[data-export='{big['exportId']}']")).to_contain_text(
        "partially approved"
    )
    for p in plans[1:]:
        assert (await view_of(stack, team, p["exportId"]))["approval"]["state"] == "APPROVED"
    assert (await view_of(stack, team, big["exportId"]))["approval"]["state"] == (
        "PARTIALLY_APPROVED"
    )
    assert (await view_of(stack, team, changed["exportId"]))["approval"]["state"] == "PENDING"
    # a reload of the result posts the same form again: the same result, nothing decided again
    again = await dana.context.request.post("/console/queue/decide", form=sent)
    assert again.ok
    assert "nothing was decided again" in await again.text()
    for p in [*plans[1:], big]:
        assert len(await events_of(stack, team, p["exportId"], "EXPORT_APPROVED")) == 1


async def test_bulk_reject_needs_a_reason(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    plans = await plan_many(stack, team.world, 2)
    dana = await signed_in(stack, browser, contexts, team.dana)
    for p in plans:
        await dana.get_by_label(f"Select {p['exportId']}").check()
    # an empty reason is stopped by the browser; sent anyway, the server refuses it too
    await dana.locator("#bulk-reason").evaluate("el => el.removeAttribute('required')")
    async with dana.expect_response(re.compile(r"/queue/decide$")) as refused:
        await dana.get_by_role("button", name="Reject selected").click()
    assert (await refused.value).status == 400
    await expect(dana.locator("#error")).to_contain_text("the reason is required")
    for p in plans:
        assert (await view_of(stack, team, p["exportId"]))["status"] != "REJECTED"
        await dana.get_by_label(f"Select {p['exportId']}").check()
    await dana.locator("#bulk-reason").fill("Wrong HS codes throughout.")
    await dana.get_by_role("button", name="Reject selected").click()
    for p in plans:
        row = dana.locator(f"#decided tr[data-export='{p['exportId']}']")
        await expect(row).to_contain_text("rejected")
        view = await view_of(stack, team, p["exportId"])
        assert view["status"] == "REJECTED"


async def test_deciding_fifty_exports_in_bulk_against_one_by_one(
    stack: Stack, browser: Browser, contexts: list[BrowserContext], team: Team
) -> None:
    one_by_one = await plan_many(stack, team.world, MEASURED)
    dana = await signed_in(stack, browser, contexts, team.dana)
    started = time.perf_counter()
    for p in one_by_one:
        await dana.goto(f"/console/exports/{p['exportId']}")
        await dana.get_by_role("button", name="Approve").click()
        await expect(dana.locator("#notice")).to_have_text("Approved.")
    single = time.perf_counter() - started

    in_bulk = await plan_many(stack, team.world, MEASURED)
    started = time.perf_counter()
    await dana.goto("/console")
    await dana.get_by_label(f"Select {in_bulk[0]['exportId']}").check()
    await dana.get_by_role(
        "button", name="Select all with the same reason codes and rule pack"
    ).click()
    await dana.get_by_role("button", name="Approve selected").click()
    await expect(dana.locator("#counts")).to_contain_text(f"approved: {MEASURED}")
    bulk = time.perf_counter() - started

    print(
        f"\ndeciding {MEASURED} exports of one cluster: one by one {single:.1f} s, "
        f"in bulk {bulk:.1f} s, ratio {single / bulk:.1f}x"
    )
    for p in [*one_by_one, *in_bulk]:
        assert (await view_of(stack, team, p["exportId"]))["approval"]["state"] == "APPROVED"
