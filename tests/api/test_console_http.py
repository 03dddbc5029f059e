"""The console over HTTP: security headers, sessions, CSRF, refusals and bad input, each with a
defined answer and nothing written on failure."""

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from tests.support.console_http import SIGN_IN_TOKEN, signed_in
from tests.support.exports_api import plan
from tests.support.tenants import World


@pytest_asyncio.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own per test: the console's cookies stay in it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def header_policy(r: httpx.Response) -> None:
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"


async def test_pages_send_the_security_headers(http: httpx.AsyncClient, world: World) -> None:
    r = await http.get("/console/sign-in")
    assert r.status_code == 200
    header_policy(r)
    assert r.headers["cache-control"] == "no-store"
    cookies, _ = await signed_in(http, world.tenant.keys["reviewer"])
    r = await http.get("/console", cookies=cookies)
    header_policy(r)
    assert '<script src="/console/static/console.js"' in r.text
    assert "<script>" not in r.text  # no inline script at all
    for name in ("console.js", "console.css"):
        r = await http.get(f"/console/static/{name}")
        assert r.status_code == 200
        header_policy(r)
    assert (await http.get("/console/static/../app.py")).status_code == 404


async def test_without_a_session_pages_send_to_sign_in(http: httpx.AsyncClient) -> None:
    r = await http.get("/console/exports/exp_x")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fexports%2Fexp_x"
    forged = httpx.Cookies({"entrygo_console": "abc.def"})
    assert (await http.get("/console", cookies=forged)).status_code == 303
    live = await http.get("/console", headers={"x-console-live": "1"})
    assert live.status_code == 401


async def test_sign_in_refusals(http: httpx.AsyncClient, world: World, pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM console_sessions")
    page = await http.get("/console/sign-in")
    token = SIGN_IN_TOKEN.search(page.text)
    assert token is not None
    cookies = page.cookies
    cases = [
        ({"apiKey": world.tenant.keys["integration"]}, 401, "only the integration role"),
        ({"apiKey": "eg_live_nope"}, 401, "not valid"),
        ({"apiKey": "   "}, 401, "Enter an API key"),
    ]
    for form, status, text in cases:
        r = await http.post(
            "/console/sign-in", data={**form, "csrf": token.group(1)}, cookies=cookies
        )
        assert r.status_code == status, r.text
        assert text in r.text
    # the sign-in form's own token must match its cookie
    r = await http.post(
        "/console/sign-in",
        data={"apiKey": world.tenant.keys["reviewer"], "csrf": "forged"},
        cookies=cookies,
    )
    assert r.status_code == 403
    # not a form at all
    r = await http.post("/console/sign-in", json={"apiKey": world.tenant.keys["reviewer"]})
    assert r.status_code == 400
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM console_sessions") == before


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/api/keys"])
async def test_sign_in_goes_only_to_console_pages(
    http: httpx.AsyncClient, world: World, target: str
) -> None:
    page = await http.get("/console/sign-in")
    token = SIGN_IN_TOKEN.search(page.text)
    assert token is not None
    r = await http.post(
        "/console/sign-in",
        data={"apiKey": world.tenant.keys["reviewer"], "csrf": token.group(1), "next": target},
        cookies=page.cookies,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/console"


async def test_sign_out_ends_the_session(http: httpx.AsyncClient, world: World) -> None:
    cookies, csrf = await signed_in(http, world.tenant.keys["admin"])
    r = await http.post("/console/sign-out", data={"csrf": "wrong"}, cookies=cookies)
    assert r.status_code == 403
    r = await http.post("/console/sign-out", data={"csrf": csrf}, cookies=cookies)
    assert r.status_code == 303
    assert (await http.get("/console", cookies=cookies)).status_code == 303


async def test_a_revoked_key_ends_its_sessions(
    http: httpx.AsyncClient, world: World, pool: asyncpg.Pool
) -> None:
    from store.accounts import create_key

    async with pool.acquire() as conn:
        key, secret = await create_key(conn, world.tenant.account_id, "temp", ["reviewer"])
    cookies, _ = await signed_in(http, secret)
    r = await http.delete(f"/api/keys/{key.id}", headers=world.tenant.auth("admin"))
    assert r.status_code == 200
    assert (await http.get("/console", cookies=cookies)).status_code == 303


async def test_export_pages_of_other_accounts_and_bad_ids_are_not_found(
    http: httpx.AsyncClient, worker: Any, world: World, other_tenant: Any
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF-8"))
    assert r.status_code == 201, r.text
    theirs, their_hash = r.json()["exportId"], r.json()["planHash"]
    cookies, csrf = await signed_in(http, other_tenant.keys["reviewer"])
    paths = [
        f"/console/exports/{theirs}",
        f"/console/exports/{theirs}/invoice-preview?planHash={their_hash}",
        "/console/exports/exp_missing",
        "/console/exports/%00x",
        "/console/artifacts/art_missing",
    ]
    for path in paths:
        r = await http.get(path, cookies=cookies)
        assert r.status_code == 404, (path, r.status_code)
        header_policy(r)
    r = await http.post(
        f"/console/exports/{theirs}/approve",
        data={"csrf": csrf, "planHash": their_hash},
        cookies=cookies,
    )
    assert r.status_code == 404


async def test_decisions_need_the_reviewer_role_and_a_form(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF-8"))
    assert r.status_code == 201, r.text
    export_id, plan_hash = r.json()["exportId"], r.json()["planHash"]
    admin, admin_csrf = await signed_in(http, world.tenant.keys["admin"])
    page = await http.get(f"/console/exports/{export_id}", cookies=admin)
    assert page.status_code == 200
    assert "can read, not decide" in page.text
    r = await http.post(
        f"/console/exports/{export_id}/approve",
        data={"csrf": admin_csrf, "planHash": plan_hash},
        cookies=admin,
    )
    assert r.status_code == 403
    assert "reviewer role" in r.text
    reviewer, csrf = await signed_in(http, world.tenant.keys["reviewer"])
    r = await http.post(
        f"/console/exports/{export_id}/approve",
        json={"csrf": csrf, "planHash": plan_hash},
        cookies=reviewer,
    )
    assert r.status_code == 400
    r = await http.post(
        f"/console/exports/{export_id}/reject",
        data={"csrf": csrf, "reason": "  "},
        cookies=reviewer,
    )
    assert r.status_code == 400
    assert "reason is required" in r.text
    r = await http.get(
        f"/console/exports/{export_id}/invoice-preview?planHash=sha256:{'1' * 64}",
        cookies=reviewer,
    )
    assert r.status_code == 409
    assert "plan changed" in r.text
    async with pool.acquire() as conn:
        status = await conn.fetchval("SELECT status FROM exports WHERE id = $1", export_id)
        packages = await conn.fetchval(
            "SELECT count(*) FROM customs_packages WHERE export_id = $1", export_id
        )
    assert status == "PLANNED"
    assert packages == 0
    preview = await http.get(
        f"/console/exports/{export_id}/invoice-preview?planHash={plan_hash}", cookies=reviewer
    )
    assert preview.status_code == 200
    assert "DRAFT" in preview.text
    csp = preview.headers["content-security-policy"]
    assert "'sha256-" in csp  # the invoice's own style block, admitted by its hash
    assert "unsafe-inline" not in csp


async def test_a_live_poll_gets_304_while_nothing_changed(
    http: httpx.AsyncClient, world: World
) -> None:
    cookies, _ = await signed_in(http, world.tenant.keys["reviewer"])
    first = await http.get("/console", cookies=cookies, headers={"x-console-live": "1"})
    assert first.status_code == 200
    again = await http.get(
        "/console",
        cookies=cookies,
        headers={"x-console-live": "1", "if-none-match": first.headers["etag"]},
    )
    assert again.status_code == 304


async def test_the_queue_filters_by_warehouse_broker_and_reason_code(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF-8"))
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    codes = {c for d in r.json()["decisions"] for c in d["reasonCodes"]}
    code = sorted(codes)[0]
    cookies, _ = await signed_in(http, world.tenant.keys["reviewer"])
    row = f'data-export="{export_id}"'
    shown = {
        "": True,
        f"?code={code}": True,
        "?code=NO_SUCH_CODE": False,
        f"?warehouse={world.warehouse_id}": True,
        "?warehouse=wh_other": False,
        f"?broker={world.broker_id}&code={code}": True,
        "?broker=br_other": False,
    }
    for query, expected in shown.items():
        page = await http.get(f"/console{query}", cookies=cookies)
        assert page.status_code == 200, query
        assert (row in page.text) is expected, query
    title = re.search(r"<title>(.*?)</title>", (await http.get("/console", cookies=cookies)).text)
    assert title is not None
    assert re.match(r"\(\d+\) Awaiting review · \(\d+\) Needs attention", title.group(1))
    too_long = await http.get("/console?code=" + "X" * 101, cookies=cookies)
    assert too_long.status_code == 400
    assert "too long" in too_long.text


async def test_sessions_ended_over_a_day_ago_are_purged(
    http: httpx.AsyncClient, world: World, pool: asyncpg.Pool
) -> None:
    from services.sessions import purge_ended

    cookies, csrf = await signed_in(http, world.tenant.keys["reviewer"])
    await http.post("/console/sign-out", data={"csrf": csrf}, cookies=cookies)
    async with pool.acquire() as conn:
        await conn.execute(
            """UPDATE console_sessions SET ended_at = now() - interval '25 hours'
               WHERE csrf_token = $1""",
            csrf,
        )
    assert await purge_ended(pool) >= 1
    async with pool.acquire() as conn:
        left = await conn.fetchval(
            "SELECT count(*) FROM console_sessions WHERE csrf_token = $1", csrf
        )
    assert left == 0
