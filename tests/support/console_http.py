"""The console over plain HTTP, as a browser signs in: for tests that read its pages without a
browser."""

import re

import httpx

SIGN_IN_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


async def signed_in(http: httpx.AsyncClient, key: str) -> tuple[httpx.Cookies, str]:
    """Sign in as a browser would; returns the cookies and the session's CSRF token."""
    cookies = httpx.Cookies()
    page = await http.get("/console/sign-in", cookies=cookies)
    cookies.update(page.cookies)
    token = SIGN_IN_TOKEN.search(page.text)
    assert token is not None
    r = await http.post(
        "/console/sign-in",
        data={"apiKey": key, "csrf": token.group(1), "next": "/console"},
        cookies=cookies,
    )
    assert r.status_code == 303, r.text
    cookies.update(r.cookies)
    queue = await http.get("/console", cookies=cookies)
    assert queue.status_code == 200
    csrf = SIGN_IN_TOKEN.search(queue.text)  # the sign-out form carries the session's token
    assert csrf is not None
    return cookies, csrf.group(1)
