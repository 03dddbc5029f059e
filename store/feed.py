"""The account-wide event feed: every export's events and every destination's events, in one
stable order (the writing transaction, then the export or the event, then seq)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.db import Queries


@dataclass(frozen=True)
class FeedEvent:
    """An event of the feed with its position: an export's (`export_id`) or a destination's
    (`destination_id`)."""

    position: str
    id: str
    export_id: str | None
    destination_id: str | None
    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


# A position is (txid, key, seq): the key is the export's id for an export's event and the
# event's own id for a destination's, so the two kinds interleave in one total order. Each side
# is limited first, so a page reads at most `limit` rows of each.
_FEED = """
SELECT f.txid::text || '.' || f.key || '.' || f.seq AS position, f.id, f.export_id,
       f.destination_id, f.seq, f.type, f.occurred_at, f.actor, f.data
FROM (
    (SELECT e.txid, e.export_id AS key, e.seq, e.id, e.export_id, NULL::text AS destination_id,
            e.type, e.occurred_at, e.actor, e.data
     FROM export_events e JOIN exports x ON x.id = e.export_id
     WHERE x.account_id = $1
       AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
       AND ($2::text IS NULL
            OR (e.txid, e.export_id, e.seq) > ($2::text::xid8, $3::text, $4::int))
     ORDER BY e.txid, e.export_id, e.seq
     LIMIT $5)
    UNION ALL
    (SELECT d.txid, d.id AS key, d.seq, d.id, NULL::text, d.destination_id,
            d.type, d.occurred_at, d.actor, d.data
     FROM destination_events d
     WHERE d.account_id = $1
       AND d.txid < pg_snapshot_xmin(pg_current_snapshot())
       AND ($2::text IS NULL OR (d.txid, d.id, d.seq) > ($2::text::xid8, $3::text, $4::int))
     ORDER BY d.txid, d.id, d.seq
     LIMIT $5)
) f
ORDER BY f.txid, f.key, f.seq
LIMIT $5
"""


async def feed(
    conn: Queries, account_id: str, after: tuple[str, str, int] | None, limit: int
) -> list[FeedEvent]:
    """Events of every export and destination of the account after a position (transaction,
    export or event id, seq), in a stable order: only events whose transaction is older than
    every running one are served, so none can appear later before a position already read."""
    txid, key, seq = after if after is not None else (None, None, None)
    rows = await conn.fetch(_FEED, account_id, txid, key, seq, limit)
    return [FeedEvent(**dict(r)) for r in rows]
