"""The interactive API docs work without internet: opened in Chromium, nothing leaves the host."""

import re
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Request

from tests.support.browser import chromium
from tests.support.stack import Stack

REMOTE_URL = re.compile(r"https?://(?!localhost[:/]|127\.0\.0\.1[:/])[^\s\"'<>]+", re.IGNORECASE)


def same_host(base: str, requests: list[Request]) -> list[str]:
    """The URLs of requests that went anywhere but the API's own host and port."""
    own = urlsplit(base).netloc
    return [
        r.url
        for r in requests
        if urlsplit(r.url).scheme not in ("data", "blob") and urlsplit(r.url).netloc != own
    ]


async def open_page(page: Page, url: str) -> list[Request]:
    requests: list[Request] = []

    def record(request: Request) -> None:
        # Playwright takes Python functions as handlers, not bound builtins like list.append
        requests.append(request)

    page.on("request", record)
    response = await page.goto(url, wait_until="networkidle")
    assert response is not None
    assert response.status == 200
    return requests


async def test_swagger_ui_renders_the_operations_from_local_assets(stack: Stack) -> None:
    base = str(stack.api.base_url).rstrip("/")
    async with chromium() as browser:
        page = await browser.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        requests = await open_page(page, f"{base}/docs/api")
        operation = page.locator("#operations-exports-plan_export_api_exports_plan_post")
        if not await operation.count():
            operation = page.locator(".opblock-post", has_text="/api/exports/plan")
        await operation.first.wait_for(state="visible")
        assert await page.locator(".opblock-summary-path", has_text="/api/exports/plan").count()
        assert same_host(base, requests) == []
        assert failed == []


@pytest.mark.parametrize("path", ["/docs/api", "/docs/api/redoc"])
async def test_no_page_we_serve_names_another_host(stack: Stack, path: str) -> None:
    r = await stack.api.get(path)
    if path.endswith("/redoc"):
        assert r.status_code == 404  # not served: its bundle loads a logo from cdn.redoc.ly
        return
    assert r.status_code == 200
    assert REMOTE_URL.findall(r.text) == []
    for asset in re.findall(r'(?:src|href)="(/docs/api/assets/[^"]+)"', r.text):
        got = await stack.api.get(asset)
        assert got.status_code == 200, asset
    assert "cdn.jsdelivr.net" not in r.text


async def test_assets_need_no_key(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=str(stack.api.base_url)) as anonymous:
        r = await anonymous.get("/docs/api/assets/swagger-ui-bundle.js")
    assert r.status_code == 200
    assert "javascript" in r.headers["content-type"]
