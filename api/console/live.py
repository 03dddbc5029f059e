"""The console's live signal: `GET /console/live` (optionally `?export=<id>`) is a server-sent
event stream that says `changed` each time a commit appends events to the signed-in account (or
to that export). The page script then asks for its page again with its ETag; nothing is read or
rendered here, and a quiet account costs one heartbeat (and one look at the session) every 10 s per open
page. When the session ends, the stream says `signed-out` and ends."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from api.console import auth
from api.console.security import secure
from api.console.signed_in import ID, PREFIX
from api.deps import RuntimeDep
from services import sessions

router = APIRouter(prefix=PREFIX, include_in_schema=False)

HEARTBEAT_SECONDS = 10.0  # also how often the session is checked
RETRY_MS = 5000  # how long a browser waits before it connects again


@router.get("/live")
async def live(
    request: Request, rt: RuntimeDep, export: Annotated[str | None, Query()] = None
) -> Response:
    """`changed` on every commit of events this page shows; 401 without a session, 404 for a
    malformed export id, 503 where this process does not listen."""
    cookie = auth.session_cookie(request)
    session = await sessions.session_of(rt, cookie)
    if session is None:
        return secure(Response("signed out", status_code=401, media_type="text/plain"))
    if export is not None and not ID.match(export):
        return secure(Response("not found", status_code=404, media_type="text/plain"))
    signals = rt.signals
    if signals is None:
        return secure(Response("not listening", status_code=503, media_type="text/plain"))
    account_id = session.principal.account_id

    async def body() -> AsyncIterator[bytes]:
        with signals.watch(account_id, export) as waiter:
            yield f"retry: {RETRY_MS}\n: entrygo console live\n\n".encode()
            while not await request.is_disconnected():
                if await waiter.wait(HEARTBEAT_SECONDS):
                    yield b"event: changed\ndata: \n\n"
                    continue
                if await sessions.session_of(rt, cookie) is None:
                    yield b"event: signed-out\ndata: \n\n"  # the page's next ask answers 401
                    return
                yield b": keep-alive\n\n"

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return secure(StreamingResponse(body(), media_type="text/event-stream", headers=headers))
