"""The account-wide event feed: `GET /api/events` pages, `GET /api/events/stream` pushes them
as server-sent events (resumable with `Last-Event-ID`)."""

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.deps import AnyRoleCall
from api.openapi import error_responses
from api.pagination import Limit
from api.schemas.webhooks import FeedPage
from services import events

router = APIRouter(prefix="/api/events", tags=["events"])
After = Annotated[
    str | None, Query(pattern=events.CURSOR_PATTERN, description="the last cursor you read")
]


@router.get("", response_model=FeedPage, responses=error_responses(403))
async def list_events(ctx: AnyRoleCall, after: After = None, limit: Limit = 100) -> FeedPage:
    """Every export's and destination's events after `after`, in one stable order; `nextCursor`
    continues."""
    return await events.page(ctx, events.FeedQuery(events.parse_cursor(after), limit))


# Not in the OpenAPI document: an endless text/event-stream has no schema a generated client or
# a contract test could use (docs/agents.md documents it).
@router.get("/stream", response_class=StreamingResponse, include_in_schema=False)
async def stream_events(
    request: Request,
    ctx: AnyRoleCall,
    after: After = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=events.CURSOR_PATTERN)
    ] = None,
) -> StreamingResponse:
    """The feed as server-sent events: `id` is the cursor, `event` the type, `data` the event.
    Reconnecting with `Last-Event-ID` (or `after`) resumes after that event."""
    start = events.parse_cursor(last_event_id or after)

    async def body() -> AsyncIterator[bytes]:
        yield b": entrygo event stream\n\n"
        async for event in events.stream(ctx, events.FeedQuery(start), request.is_disconnected):
            if event is None:
                yield b": keep-alive\n\n"
                continue
            # ASCII-escaped, as the stream has always been sent
            data = json.dumps(event.model_dump(mode="json"), separators=(",", ":"))
            yield f"id: {event.cursor}\nevent: {event.type}\ndata: {data}\n\n".encode()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
