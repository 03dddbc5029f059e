"""An export's version as its live views see it: its status, its last update and its last
event's seq, read in one indexed query (export_events' UNIQUE (export_id, seq) index gives the
last seq without reading the log)."""

from dataclasses import dataclass
from datetime import datetime

from store.db import Queries


@dataclass(frozen=True, slots=True)
class ExportVersion:
    """What changes whenever the export does: every transition writes an event and the row."""

    status: str
    updated_at: datetime
    last_seq: int | None


async def export_version(conn: Queries, account_id: str, export_id: str) -> ExportVersion | None:
    """The export's version in the account; None when the account has no such export."""
    row = await conn.fetchrow(
        """
        SELECT e.status, e.updated_at,
               (SELECT v.seq FROM export_events v
                 WHERE v.export_id = e.id ORDER BY v.seq DESC LIMIT 1) AS last_seq
          FROM exports e
         WHERE e.id = $1 AND e.account_id = $2
        """,
        export_id,
        account_id,
    )
    if row is None:
        return None
    return ExportVersion(row["status"], row["updated_at"], row["last_seq"])
