"""People sign in to the console with OpenID Connect, against a real provider (oidc-provider on
Node.js, tests/support/oidc) and an API of its own beside the stack: in Debian's Chromium the
sign-in, sign-out at both ends, role mapping, a person in no mapped group, four eyes as two
people; over HTTP the callbacks a browser would never send (a replayed or foreign state, an
expired, wrong-audience, replayed-nonce or foreign-signed ID token)."""

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, expect

from entrygo.seed import demo_products, seed_demo
from tests.support.browser import chromium
from tests.support.oidc_provider import (
    PASSWORD,
    PEOPLE,
    PROVIDER_NAME,
    OidcConsole,
    oidc_console,
    provider_callback,
)
from tests.support.stack import Stack, wait_status

LIVE = 20_000  # ms a live update may take to show (the page polls every 2 s)
SESSION = "entrygo_console"


@pytest_asyncio.fixture(scope="module")
async def demo(stack: Stack, pool: asyncpg.Pool, tmp_path_factory: Any) -> dict[str, Any]:
    """A demo account of its own: the account people of the provider sign in to."""
    async with pool.acquire() as conn:
        return await seed_demo(
            conn, tmp_path_factory.mktemp("oidc-demo"), stack.broker_url, "entries@broker.test"
        )


@pytest_asyncio.fixture(scope="module")
async def console(
    stack: Stack, demo: dict[str, Any], tmp_path_factory: Any
) -> AsyncIterator[OidcConsole]:
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    async with oidc_console(stack, demo["accountId"], log) as started:
        yield started


@pytest_asyncio.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture
async def context(browser: Browser, console: OidcConsole) -> AsyncIterator[BrowserContext]:
    """A browser of its own per test: its cookies at the console and at the provider."""
    ctx = await browser.new_context(base_url=console.url)
    try:
        yield ctx
    finally:
        await ctx.close()


async def sign_in(page: Page, login: str) -> None:
    """Sign in at the provider from the console's sign-in page, back at the queue."""
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    await page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def signed_in_as(page: Page, login: str) -> None:
    person = PEOPLE[login]
    await expect(page.locator("header .who")).to_contain_text(
        f"{person['name']} <{person['email']}>"
    )


async def sign_out(page: Page) -> None:
    """Sign out of the console and, at its page, of the provider; back at sign-in."""
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("button", name="Yes, sign me out").click()
    await expect(page).to_have_url(re.compile(r"/console/sign-in$"))


async def plan_toys(stack: Stack, demo: dict[str, Any], quantity: int) -> dict[str, Any]:
    """Plan one order of wooden toys (a toy needs review; 300 of them need four eyes) and ask
    to execute it."""
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    skus = [p["externalId"] for p in demo_products()]
    toy = demo["productIds"][skus.index("SKU-WOODEN-TOY")]
    r = await stack.api.post(
        "/api/orders/sync",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "items": [
                {
                    "externalId": f"oidc-{uuid.uuid4().hex[:8]}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": "Demo Buyer", "address": "1 Demo Street, New York"},
                    "items": [{"productId": toy, "quantity": quantity}],
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
            "brokerId": demo["emailBrokerId"],
            "orderIds": [r.json()["data"][0]["id"]],
        },
    )
    assert r.status_code == 201, r.text
    plan: dict[str, Any] = r.json()
    assert plan["readinessState"] == "REVIEW_REQUIRED", plan["validationMessages"]
    r = await stack.api.post(
        "/api/exports/execute",
        headers=headers,
        json={"accountId": demo["accountId"], "batchId": plan["exportId"]},
    )
    assert r.status_code in (200, 202), r.text
    return plan


def reviewer(demo: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {demo['keys']['reviewer']}"}


async def test_a_reviewer_signs_in_with_the_provider_and_approves(
    stack: Stack, demo: dict[str, Any], context: BrowserContext
) -> None:
    page = await context.new_page()
    await page.goto("/console/sign-in")
    await expect(page.get_by_label("API key")).to_be_visible()  # key sign-in stays on
    await sign_in(page, "dana")
    await expect(page).to_have_url(re.compile(r"/console$"))
    await signed_in_as(page, "dana")
    await expect(page.locator("header .who")).to_contain_text("reviewer")
    session = next(c for c in await context.cookies() if c["name"] == SESSION)
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"

    plan = await plan_toys(stack, demo, 1)
    await page.goto(f"/console/exports/{plan['exportId']}")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#export-status")).to_have_text(
        re.compile("EXECUTING|EXECUTED|COMPLETED"), timeout=LIVE
    )
    await expect(page.locator(".approved-by")).to_contain_text("Dana Diaz <dana@example.test>")
    view = await wait_status(stack, reviewer(demo), plan["exportId"], {"EXECUTED", "COMPLETED"})
    (approver,) = view["approval"]["approvedBy"]
    assert approver["keyId"] == "oidc:dana"
    assert (approver["subject"], approver["name"], approver["email"]) == (
        "dana",
        "Dana Diaz",
        "dana@example.test",
    )
    approved = [e for e in view["events"] if e["type"] == "EXPORT_APPROVED"]
    assert approved[0]["actor"] == "oidc:dana"


async def test_sign_out_ends_the_session_here_and_at_the_provider(
    console: OidcConsole, context: BrowserContext
) -> None:
    page = await context.new_page()
    await sign_in(page, "lee")
    await signed_in_as(page, "lee")
    await expect(page.locator("header .who")).to_contain_text("lead, reviewer")
    # while the provider's session lasts, a new console session needs no password; the live
    # page is left first, or its own reload on the 401 its next poll meets races this goto
    await page.goto("about:blank")
    await context.clear_cookies(name=SESSION)
    await page.goto("/console")
    await page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    await expect(page).to_have_url(re.compile(r"/console$"))
    await signed_in_as(page, "lee")

    await sign_out(page)
    assert SESSION not in {c["name"] for c in await context.cookies()}
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    # the provider's session ended too: it asks for the password again
    await page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    await expect(page.get_by_label("Password")).to_be_visible()
    assert page.url.startswith(console.provider.issuer)


async def test_an_admin_group_reads_but_cannot_decide(
    stack: Stack, demo: dict[str, Any], context: BrowserContext
) -> None:
    plan = await plan_toys(stack, demo, 2)
    page = await context.new_page()
    await sign_in(page, "omar")
    await signed_in_as(page, "omar")
    await page.goto(f"/console/exports/{plan['exportId']}")
    await expect(page.get_by_role("button", name="Approve")).to_be_disabled()
    await expect(page.get_by_role("link", name="Operations")).to_be_visible()
    # posted anyway, with the session's own form token, the approval is refused
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    r = await context.request.post(
        f"/console/exports/{plan['exportId']}/approve",
        form={"planHash": plan["planHash"], "csrf": csrf or ""},
    )
    assert r.status == 403
    view = await stack.api.get(f"/api/exports/{plan['exportId']}", headers=reviewer(demo))
    assert view.json()["approval"]["state"] == "PENDING"


async def test_a_person_in_no_mapped_group_is_refused(context: BrowserContext) -> None:
    page = await context.new_page()
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/oidc/callback" in r.url else None)
    await sign_in(page, "sam")
    await expect(page.locator("#refusal-code")).to_have_text("NOT_IN_A_GROUP")
    await expect(page.locator("#sign-in-refused")).to_contain_text("sam@example.test")
    assert answers == [403]
    assert SESSION not in {c["name"] for c in await context.cookies()}
    await page.goto("/console")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))


async def test_four_eyes_are_two_people_not_two_sign_ins(
    stack: Stack, demo: dict[str, Any], context: BrowserContext
) -> None:
    # 300 toys at 35 USD: 10,500 USD, over the 10,000 USD four-eyes amount
    plan = await plan_toys(stack, demo, 300)
    page = await context.new_page()
    await sign_in(page, "dana")
    await signed_in_as(page, "dana")  # landed on the queue: the redirects are over
    await page.goto(f"/console/exports/{plan['exportId']}")
    await expect(page.locator("#four-eyes")).to_contain_text("Two different reviewers")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#approval-state")).to_have_text("PARTIALLY_APPROVED")
    # the same person in a new session (signed out at both ends, password again) is one approver
    await sign_out(page)
    await sign_in(page, "dana")
    await signed_in_as(page, "dana")  # landed on the queue: the redirects are over
    await page.goto(f"/console/exports/{plan['exportId']}")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#error")).to_contain_text("already approved")
    await expect(page.locator("#approval-state")).to_have_text("PARTIALLY_APPROVED")
    view = await stack.api.get(f"/api/exports/{plan['exportId']}", headers=reviewer(demo))
    assert view.json()["approval"]["state"] == "PARTIALLY_APPROVED"
    # a second person completes it
    await sign_out(page)
    await sign_in(page, "lee")
    await signed_in_as(page, "lee")  # landed on the queue: the redirects are over
    await page.goto(f"/console/exports/{plan['exportId']}")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#approval-state")).to_have_text("APPROVED", timeout=LIVE)
    approvers = page.locator(".approved-by")
    await expect(approvers).to_have_count(2)
    await expect(approvers.nth(1)).to_contain_text("Lee Lead <lee@example.test>")
    view = await wait_status(stack, reviewer(demo), plan["exportId"], {"EXECUTED", "COMPLETED"})
    people = [(a["subject"], a["name"], a["email"]) for a in view["approval"]["approvedBy"]]
    assert people == [
        ("dana", "Dana Diaz", "dana@example.test"),
        ("lee", "Lee Lead", "lee@example.test"),
    ]


def refused(r: httpx.Response, status: int, code: str) -> None:
    """A refusal page with its code, and no session."""
    assert r.status_code == status, r.text
    assert f'<code id="refusal-code">{code}</code>' in r.text
    assert SESSION not in r.cookies


async def test_a_callback_is_used_once_and_only_by_its_browser(console: OidcConsole) -> None:
    async with httpx.AsyncClient() as browser, httpx.AsyncClient() as other:
        callback = await provider_callback(browser, console, "dana")
        # another browser (without the cookie that started the sign-in) gets nothing from it
        refused(await other.get(callback.url), 400, "SIGN_IN_UNKNOWN")
        r = await browser.get(callback.url)
        assert r.status_code == 200, r.text
        assert SESSION in r.cookies
        assert 'http-equiv="refresh"' in r.text
        # the same answer again: the state was used
        refused(await browser.get(callback.url), 400, "SIGN_IN_UNKNOWN")


async def test_a_sign_in_that_took_too_long_is_refused(
    console: OidcConsole, pool: asyncpg.Pool
) -> None:
    async with httpx.AsyncClient() as browser:
        callback = await provider_callback(browser, console, "dana")
        async with pool.acquire() as conn:  # ten minutes pass
            await conn.execute(
                "UPDATE console_sign_ins SET expires_at = now() - interval '1 second' "
                "WHERE used_at IS NULL"
            )
        refused(await browser.get(callback.url), 400, "SIGN_IN_UNKNOWN")


async def test_id_tokens_that_do_not_verify_are_refused(console: OidcConsole) -> None:
    cases = [
        ({"shift": -7200}, "ID_TOKEN_EXPIRED"),
        ({"aud": "another-client"}, "ID_TOKEN_AUDIENCE"),
        ({"aud": ["another-client", console.settings.oidc_client_id]}, "ID_TOKEN_AUDIENCE"),
        ({"shift": 3600}, "ID_TOKEN_NOT_YET_VALID"),
        ({"foreignKey": True}, "ID_TOKEN_SIGNATURE"),
    ]
    for change, code in cases:
        async with httpx.AsyncClient() as browser:
            callback = await provider_callback(browser, console, "dana")
            await console.provider.next_id_token(**change)
            refused(await browser.get(callback.url), 401, code)


async def test_a_replayed_nonce_is_refused(console: OidcConsole) -> None:
    async with httpx.AsyncClient() as browser:
        first = await provider_callback(browser, console, "dana")
        assert (await browser.get(first.url)).status_code == 200
        # a later sign-in answered with the first one's ID token nonce
        second = await provider_callback(browser, console, "dana")
        await console.provider.next_id_token(nonce=first.nonce)
        refused(await browser.get(second.url), 401, "ID_TOKEN_NONCE")


async def test_the_provider_refusing_is_shown(console: OidcConsole) -> None:
    async with httpx.AsyncClient() as browser:
        callback = await provider_callback(browser, console, "dana")
        state = re.search(r"state=([^&]+)", callback.url)
        assert state is not None
        url = f"{console.url}/console/oidc/callback?state={state.group(1)}&error=access_denied"
        refused(await browser.get(url), 401, "PROVIDER_REFUSED")
        # the state went with the refusal: the code the provider gave is of no use now
        refused(await browser.get(callback.url), 400, "SIGN_IN_UNKNOWN")


async def test_the_client_may_authenticate_in_the_form(
    stack: Stack, demo: dict[str, Any], tmp_path: Any
) -> None:
    async with (
        oidc_console(
            stack,
            demo["accountId"],
            tmp_path / "provider.log",
            oidc_client_auth_method="client_secret_post",
        ) as console,
        httpx.AsyncClient() as browser,
    ):
        callback = await provider_callback(browser, console, "dana")
        r = await browser.get(callback.url)
        assert r.status_code == 200, r.text
        assert SESSION in r.cookies
