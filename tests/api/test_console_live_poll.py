"""The export page's live poll: its ETag is the export's version (last event seq, status, last
update), so a poll while nothing changed gets 304 before the page is loaded or rendered."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from tests.support.console_http import signed_in
from tests.support.exports_api import plan
from tests.support.tenants import World

LIVE = {"x-console-live": "1"}


@pytest_asyncio.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own per test: the console's cookies stay in it."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_live_poll_of_an_unchanged_export_gets_304_until_an_event(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF-8"))
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    cookies, _ = await signed_in(http, world.tenant.keys["reviewer"])
    url = f"/console/exports/{export_id}"
    first = await http.get(url, cookies=cookies, headers=LIVE)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert 'id="holder"' in first.text
    for _ in range(3):
        again = await http.get(url, cookies=cookies, headers={**LIVE, "if-none-match": etag})
        assert again.status_code == 304
        assert again.content == b""  # nothing rendered
        assert again.headers["etag"] == etag
    # a reviewer's look (not a live poll) renders the page with the same version's tag
    look = await http.get(url, cookies=cookies)
    assert look.status_code == 200
    # a new event (the review claimed through the API): the next poll renders the page again
    claimed = await http.post(
        f"/api/exports/{export_id}/claim", json={}, headers=world.tenant.auth("reviewer")
    )
    assert claimed.status_code == 200, claimed.text
    changed = await http.get(url, cookies=cookies, headers={**LIVE, "if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "since" in changed.text.split('id="holder"', 1)[1].split("</dd>", 1)[0]
    unchanged = await http.get(
        url, cookies=cookies, headers={**LIVE, "if-none-match": changed.headers["etag"]}
    )
    assert unchanged.status_code == 304
    # another export's page, or one of another account, is not found before any version
    missing = await http.get(
        "/console/exports/exp_doesnotexist",
        cookies=cookies,
        headers={**LIVE, "if-none-match": etag},
    )
    assert missing.status_code == 404
