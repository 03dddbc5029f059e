"""The broker loop's forms on the console's export page, in Debian's Chromium against the running
stack: an answer with a document uploaded through the file input, a document refused by the
service, and what an email broker said recorded by a reviewer; and the answer form's body checks
over plain HTTP."""

import hashlib
import re
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest_asyncio
from fpdf import FPDF
from playwright.async_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.support.browser import chromium, sign_in
from tests.support.cli_runner import cli
from tests.support.stack import Stack, wait_status
from tests.support.tenants import World

LIVE = 20_000  # ms a live update may take to show (the page polls every 2 s)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def small_pdf() -> bytes:
    """A real one-page PDF, as a manufacturer's letter would be."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Manufacturer: Gatan 1, 41101 Goteborg")
    return bytes(pdf.output())


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


async def _executed(stack: Stack, world: World, scenario: str) -> str:
    """One order of the scarf whose metadata picks the sandbox scenario, planned and executed."""
    auth = world.tenant.auth()
    r = await stack.api.post(
        "/api/orders/sync",
        headers=auth,
        json={"accountId": world.tenant.account_id, "items": [world.scenario_order(scenario)]},
    )
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        "/api/exports/plan", headers=auth, json=world.plan_body([r.json()["data"][0]["id"]])
    )
    assert r.status_code == 201, r.text
    export_id = str(r.json()["exportId"])
    r = await stack.api.post(
        "/api/exports/execute",
        headers=auth,
        json={"accountId": world.tenant.account_id, "batchId": export_id},
    )
    assert r.status_code in (200, 202), r.text
    return export_id


async def _asked(stack: Stack, pool: asyncpg.Pool) -> tuple[World, str]:
    """An export whose (webhook) broker asked for the manufacturer's street: req-1 is open."""
    world = await stack.reporting_release(await stack.world(pool))
    export_id = await _executed(stack, world, "info_request")
    await wait_status(stack, world.tenant.auth(), export_id, {"BROKER_ACTION_REQUIRED"})
    return world, export_id


async def _documents(pool: asyncpg.Pool, export_id: str) -> list[tuple[str, str, str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT request_id, sha256, filename, size FROM broker_answer_documents
               WHERE export_id = $1 ORDER BY sha256""",
            export_id,
        )
    return [(r["request_id"], r["sha256"], r["filename"], r["size"]) for r in rows]


async def _answer_page(visit: BrowserContext, world: World, export_id: str) -> Page:
    page = await visit.new_page()
    await sign_in(page, world.tenant.keys["reviewer"])
    await page.goto(f"/console/exports/{export_id}")
    return page


async def test_an_answer_uploads_a_pdf_that_is_stored_and_the_export_completes(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, tmp_path: Path
) -> None:
    world, export_id = await _asked(stack, pool)
    page = await _answer_page(visit, world, export_id)
    request = page.locator("article.broker-request[data-request='req-1']")
    await expect(request.locator(".request-status")).to_have_text("OPEN")
    # a broker that calls back needs no one to record what it said
    await expect(page.locator("#broker-message")).to_have_count(0)
    pdf = small_pdf()
    await request.get_by_label(re.compile("Answer")).fill("Street address added; letter attached.")
    await request.get_by_label(re.compile("Documents to attach")).set_input_files(
        files=[FilePayload(name="manufacturer-letter.pdf", mimeType="application/pdf", buffer=pdf)]
    )
    await request.get_by_role("button", name="Answer and re-plan").click()
    await expect(page.get_by_text("the amendment sent")).to_be_visible(timeout=LIVE)
    digest = hashlib.sha256(pdf).hexdigest()
    assert await _documents(pool, export_id) == [
        ("req-1", digest, "manufacturer-letter.pdf", len(pdf))
    ]
    view = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})
    assert view["broker"]["requests"][0]["answer"]["documents"] == [digest]
    answered = page.locator("article.broker-request[data-request='req-1']")
    await expect(answered.locator(".answer-documents")).to_contain_text(digest[:12], timeout=LIVE)
    # the export page links its evidence pack: a signed zip that verifies, the answer's
    # document in it
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Evidence pack").click()
    saved = tmp_path / "evidence.zip"
    await (await downloading.value).save_as(saved)
    with zipfile.ZipFile(saved) as pack:
        assert f"broker/documents/{digest}" in pack.namelist()
    result = await cli("evidence", "verify", str(saved))
    assert result.exit_code == 0, result.output


async def test_a_file_named_pdf_that_is_not_one_is_refused_and_nothing_is_kept(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext, tmp_path: Path
) -> None:
    world, export_id = await _asked(stack, pool)
    page = await _answer_page(visit, world, export_id)
    request = page.locator("article.broker-request[data-request='req-1']")
    await expect(request.locator(".request-status")).to_have_text("OPEN")
    fake = tmp_path / "x.pdf"  # the browser declares it application/pdf by its name
    fake.write_text("this is plain text, not a PDF\n")
    await request.get_by_label(re.compile("Answer")).fill("See the attached letter.")
    await request.get_by_label(re.compile("Documents to attach")).set_input_files(fake)
    async with page.expect_response(re.compile(r"/answer$")) as answered:
        await request.get_by_role("button", name="Answer and re-plan").click()
    assert (await answered.value).status == 400
    await expect(page.locator("#error")).to_contain_text("The content is not application/pdf.")
    view = (await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())).json()
    assert view["status"] == "BROKER_ACTION_REQUIRED"
    assert view["broker"]["requests"][0]["status"] == "OPEN"
    assert view["broker"]["amendments"] == []
    assert await _documents(pool, export_id) == []


async def test_a_reviewer_records_what_an_email_broker_said(
    stack: Stack, pool: asyncpg.Pool, visit: BrowserContext
) -> None:
    world = await stack.world(pool, transport="email")
    export_id = await _executed(stack, world, "accept")  # the scenario is for webhooks only
    auth = world.tenant.auth()
    await wait_status(stack, auth, export_id, {"EXECUTED"})
    page = await _answer_page(visit, world, export_id)
    form = page.locator("#broker-message form")
    await form.locator("#said-requestId").fill("mail-1")
    await form.locator("#said-message").fill("The broker wrote: street address please.")
    await form.locator("#said-fields").fill("lines[0].manufacturer.address: street is missing")
    await form.locator("#said-dueBy").fill("2030-01-05T10:00")
    await form.get_by_label("Message type").select_option("INFO_REQUESTED")
    await form.get_by_role("button", name="Record the message").click()
    await expect(page.locator("#notice")).to_have_text(
        "Recorded: the broker's message is applied.", timeout=LIVE
    )
    request = page.locator("article.broker-request[data-request='mail-1']")
    await expect(request.locator(".request-status")).to_have_text("OPEN", timeout=LIVE)
    await expect(request).to_contain_text("street is missing")
    view = await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    asked = view["broker"]["requests"][0]
    assert (asked["requestId"], asked["dueBy"]) == ("mail-1", "2030-01-05T10:00:00Z")
    # an entry filed without its number is the service's to refuse: shown, nothing recorded
    form = page.locator("#broker-message form")
    await form.locator("#said-entryType").fill("11")
    await form.get_by_label("Message type").select_option("ENTRY_FILED")
    async with page.expect_response(re.compile(r"/broker-messages$")) as recorded:
        await form.get_by_role("button", name="Record the message").click()
    assert (await recorded.value).status == 400
    # the service refuses it, saying what the type needs
    await expect(page.locator("#error")).to_contain_text("ENTRY_FILED needs entryNumber")
    view = (await stack.api.get(f"/api/exports/{export_id}", headers=auth)).json()
    assert view["status"] == "BROKER_ACTION_REQUIRED"
    assert view["broker"]["entryNumber"] is None
    assert "ENTRY_FILED" not in [e["type"] for e in view["events"]]


@asynccontextmanager
async def _console(stack: Stack, key: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An HTTP client signed in to the console as a browser would be, and its CSRF token."""
    async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as http:
        page = await http.get("/console/sign-in")
        token = CSRF.search(page.text)
        assert token is not None
        r = await http.post(
            "/console/sign-in", data={"apiKey": key, "csrf": token.group(1), "next": "/console"}
        )
        assert r.status_code == 303, r.text
        queue = await http.get("/console")
        assert queue.status_code == 200
        csrf = CSRF.search(queue.text)  # the sign-out form carries the session's token
        assert csrf is not None
        yield http, csrf.group(1)


async def test_the_broker_forms_refuse_a_missing_token_another_body_and_a_reader(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool, transport="email")
    auth = world.tenant.auth()
    r = await stack.api.post(
        "/api/orders/sync",
        headers=auth,
        json={"accountId": world.tenant.account_id, "items": [world.scenario_order("accept")]},
    )
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        "/api/exports/plan", headers=auth, json=world.plan_body([r.json()["data"][0]["id"]])
    )
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    answer = f"/console/exports/{export_id}/broker-requests/req-1/answer"
    document = {"documents": ("letter.pdf", small_pdf(), "application/pdf")}
    async with _console(stack, world.tenant.keys["reviewer"]) as (http, csrf):
        r = await http.post(answer, data={"message": "Attached."}, files=document)
        assert r.status_code == 403, r.text
        assert "security token" in r.text
        r = await http.post(answer, json={"csrf": csrf, "message": "Attached."})
        assert r.status_code == 400, r.text
        assert "Bad form" in r.text
        r = await http.post(
            answer, content=b"csrf=" + csrf.encode(), headers={"content-type": "text/plain"}
        )
        assert r.status_code == 400, r.text
        # the right body reaches the service, which finds no open request: nothing kept
        r = await http.post(answer, data={"csrf": csrf, "message": "Attached."}, files=document)
        assert r.status_code == 409, r.text
        assert "not open for an answer" in r.text
    assert await _documents(pool, export_id) == []
    async with _console(stack, world.tenant.keys["admin"]) as (reader, reader_csrf):
        r = await reader.post(
            f"/console/exports/{export_id}/broker-messages",
            data={"csrf": reader_csrf, "type": "ACKNOWLEDGED"},
        )
        assert r.status_code == 403, r.text
        assert "reviewer role" in r.text
    events = (await stack.api.get(f"/api/exports/{export_id}", headers=auth)).json()["events"]
    assert "BROKER_ACKNOWLEDGED" not in [e["type"] for e in events]
