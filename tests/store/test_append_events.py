"""store.exports.append_events: one statement appends the new events in order with gapless seqs,
skips the keys already there, queues each event for the endpoints that want it, and signals the
feed and the outbox at commit only."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from store import webhooks
from store.exports import NewEvent, append_events
from tests.support.stored_exports import export_with_references

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def planned_export(conn: Any) -> tuple[str, str]:
    """(account, export): a planned export of a fresh account, locked in this transaction."""
    export = await export_with_references(conn, f"exp_{uuid.uuid4().hex}")
    return export.account_id, export.id


def ev(kind: str, key: str, data: dict[str, Any] | None = None) -> NewEvent:
    return NewEvent(kind, key, "system", data or {})


async def log_of(conn: Any, export_id: str) -> list[tuple[int, str, str, Any]]:
    rows = await conn.fetch(
        "SELECT seq, dedupe_key, type, data FROM export_events WHERE export_id = $1 ORDER BY seq",
        export_id,
    )
    return [(r["seq"], r["dedupe_key"], r["type"], r["data"]) for r in rows]


async def test_new_events_take_the_next_seqs_in_order_and_known_keys_are_skipped(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        _, export_id = await planned_export(conn)
        before = await log_of(conn, export_id)
        base = before[-1][0] if before else 0
        first = [ev("A", "k1", {"n": 1, "nested": {"x": [1, 2]}}), ev("B", "k2")]
        assert await append_events(conn, export_id, first, AT) == 2
        # a retried write: the known key is skipped, the new one follows without a gap
        assert await append_events(conn, export_id, [ev("B", "k2"), ev("C", "k3")], AT) == 1
        assert await append_events(conn, export_id, [ev("A", "k1")], AT) == 0
        assert await append_events(conn, export_id, [], AT) == 0
        log = (await log_of(conn, export_id))[len(before) :]
        assert log == [
            (base + 1, "k1", "A", {"n": 1, "nested": {"x": [1, 2]}}),
            (base + 2, "k2", "B", {}),
            (base + 3, "k3", "C", {}),
        ]


async def test_each_event_is_queued_for_the_live_endpoints_that_want_its_type(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        account_id, export_id = await planned_export(conn)
        every = await webhooks.create_endpoint(
            conn, account_id, "https://a.example/h", "s" * 20, None, None
        )
        only_b = await webhooks.create_endpoint(
            conn, account_id, "https://b.example/h", "s" * 20, ["B"], None
        )
        gone = await webhooks.create_endpoint(
            conn, account_id, "https://c.example/h", "s" * 20, None, None
        )
        await webhooks.delete_endpoint(conn, account_id, gone.id)
        await append_events(conn, export_id, [ev("A", "q1"), ev("B", "q2")], AT)
        await append_events(conn, export_id, [ev("B", "q2")], AT)  # known: nothing queued again
        rows = await conn.fetch(
            """SELECT d.endpoint_id, d.event_type, d.seq, e.seq AS event_seq
               FROM webhook_deliveries d JOIN export_events e ON e.id = d.event_id
               WHERE d.export_id = $1 AND e.dedupe_key = any($2) ORDER BY d.seq, d.endpoint_id""",
            export_id,
            ["q1", "q2"],
        )
        got = sorted((r["endpoint_id"], r["event_type"]) for r in rows)
        assert got == sorted([(every.id, "A"), (every.id, "B"), (only_b.id, "B")])
        assert all(r["seq"] == r["event_seq"] for r in rows)


async def test_the_feed_and_the_outbox_hear_of_it_at_commit_and_never_for_a_rollback(
    pool: asyncpg.Pool,
) -> None:
    heard: list[tuple[str, str]] = []
    async with pool.acquire() as listener:
        for channel in ("entrygo_events", "entrygo_outbox"):
            await listener.add_listener(
                channel, lambda _c, _p, ch, payload: heard.append((ch, payload))
            )
        try:
            async with pool.acquire() as conn:
                tx = conn.transaction()
                await tx.start()
                account_id, export_id = await planned_export(conn)
                await webhooks.create_endpoint(
                    conn, account_id, "https://a.example/h", "s" * 20, None, None
                )
                await append_events(conn, export_id, [ev("A", "r1")], AT)
                await tx.rollback()
                await asyncio.sleep(0.2)
                assert heard == []
                async with conn.transaction():
                    account_id, export_id = await planned_export(conn)
                    await webhooks.create_endpoint(
                        conn, account_id, "https://a.example/h", "s" * 20, None, None
                    )
                    await append_events(conn, export_id, [ev("A", "r1")], AT)
                    await asyncio.sleep(0.2)
                    assert heard == []
                for _ in range(50):
                    if len(heard) >= 2:
                        break
                    await asyncio.sleep(0.05)
        finally:
            await listener.reset()
    channels = sorted(ch for ch, _ in heard)
    assert channels == ["entrygo_events", "entrygo_outbox"]
    feed = next(p for ch, p in heard if ch == "entrygo_events")
    assert feed.split(" ")[:2] == [account_id, export_id]
