"""The account-wide event feed: every export's and every destination's events in one stable
order, as pages and as a server-sent event stream."""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from services.context import Context
from services.errors import Invalid, Issue
from services.models.webhooks import FeedEvent as FeedEventView
from services.models.webhooks import FeedPage
from store import feed
from store.feed import FeedEvent

CURSOR = re.compile(r"^(\d{1,20})\.([A-Za-z0-9_]{1,64})\.(\d{1,9})$")
CURSOR_PATTERN = CURSOR.pattern
STREAM_BATCH = 100
HEARTBEAT_SECONDS = 15.0
# A signalled transaction's events wait for every older transaction to end; read again after
# 20 ms, doubling, for about 20 s in all (then the signal is taken as read).
HIDDEN_FIRST_SECONDS = 0.02
HIDDEN_MAX_SECONDS = 10.0


Position = tuple[str, str, int]


def parse_cursor(cursor: str | None, field: str = "after") -> Position | None:
    """The (transaction, export or destination event, seq) of a cursor; Invalid when it is not
    one."""
    if cursor is None or cursor == "":
        return None
    found = CURSOR.match(cursor)
    if found is None or int(found.group(1)) >= 2**64:  # a transaction id is 64 bits
        raise Invalid([Issue(path=field, message="not a feed cursor", code="invalid_cursor")])
    return str(int(found.group(1))), found.group(2), int(found.group(3))  # "019" is 19


@dataclass(frozen=True)
class FeedQuery:
    """The feed after a position, at most `limit` events (a page) or as it grows (a stream)."""

    after: Position | None
    limit: int = STREAM_BATCH


def event_view(event: FeedEvent) -> FeedEventView:
    """A feed event in the contract's event shape, with its export (or destination) and cursor."""
    return FeedEventView(
        id=event.id,
        export_id=event.export_id,
        destination_id=event.destination_id,
        seq=event.seq,
        type=event.type,
        occurred_at=event.occurred_at,
        actor=event.actor,
        data=event.data,
        cursor=event.position,
    )


async def page(ctx: Context, query: FeedQuery) -> FeedPage:
    """A page of the feed and the cursor to continue from (the last event's; the same cursor
    when the page is empty, so a client polls with it)."""
    after = query.after
    async with ctx.connect() as conn:
        events = await feed.feed(conn, ctx.account_id, after, query.limit)
    data = [event_view(e) for e in events]
    if events:
        return FeedPage(data=data, next_cursor=events[-1].position)
    return FeedPage(data=data, next_cursor=".".join(map(str, after)) if after else None)


async def stream(
    ctx: Context, query: FeedQuery, stopped: Callable[[], Awaitable[bool]]
) -> AsyncIterator[FeedEventView | None]:
    """Feed events as they become readable, for as long as `stopped()` is false; None is a
    heartbeat (nothing new for a while). It reads when a commit signals the account (the API
    process's event signals, services/event_signals.py), never on a clock."""
    signals = ctx.runtime.signals
    if signals is None:
        raise RuntimeError("this process does not listen for committed events")
    with signals.watch(ctx.account_id) as waiter:
        after = query.after
        hidden = HIDDEN_FIRST_SECONDS
        while not await stopped():
            waiter.event.clear()  # a signal during the read below is kept for the next wait
            async with ctx.runtime.pool.acquire() as conn:
                events = await feed.feed(conn, ctx.account_id, after, query.limit)
            for event in events:
                yield event_view(event)
            if events:
                after = parse_cursor(events[-1].position)
            if len(events) == query.limit:
                continue
            read_txid = int(after[0]) if after else 0
            if waiter.pending > read_txid and hidden <= HIDDEN_MAX_SECONDS:
                # a signalled transaction is not readable yet: an older one still runs
                await asyncio.sleep(hidden)
                hidden *= 2
                continue
            hidden = HIDDEN_FIRST_SECONDS
            waiter.pending = min(waiter.pending, read_txid)
            if not await waiter.wait(HEARTBEAT_SECONDS):
                yield None
