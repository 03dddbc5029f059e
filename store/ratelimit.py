"""The per-account request counters shared by every API process (table rate_limit_windows).

Fixed one-minute windows on the database's clock, so processes on different hosts agree on where
a window starts. A request is counted by one statement, in autocommit on its own pooled
connection (never inside a business transaction); once an account's window is full, refused
requests lock the row but write nothing, so a client hammering past its limit adds no writes.
"""

from dataclasses import dataclass
from datetime import datetime

from store.accounts import KEY_BY_HASH, Principal, principal_of
from store.db import Pool, Queries
from store.keys import hash_key

WINDOW_SECONDS = 60

# A request's key read (store/accounts.py `authenticate`'s own statement, $1 the key's hash) and
# its count, in one statement: one round trip per request. A key that is unknown or revoked reads no
# row and counts nothing. `$3` stands in for the database's clock when given (tests pin a window
# with it). The first request of a window inserts its row; later ones add one while the window has
# room. RETURNING yields no row when the window was already full, hence `(SELECT count FROM hit)`.
_KEY_HIT = (
    "WITH caller AS ("
    + KEY_BY_HASH
    + """),
clock AS (SELECT coalesce($3::timestamptz, now()) AS at),
hit AS (
    INSERT INTO rate_limit_windows AS w (account_id, window_start, count)
    SELECT caller.account_id, date_trunc('minute', clock.at), 1 FROM caller, clock
    ON CONFLICT (account_id, window_start)
        DO UPDATE SET count = w.count + 1 WHERE w.count < $2
    RETURNING w.count
)
SELECT caller.*, (SELECT count FROM hit) AS count,
       ceil(extract(epoch FROM date_trunc('minute', clock.at) + interval '1 minute' - clock.at))
           ::integer AS retry_after
FROM caller, clock
"""
)


@dataclass(frozen=True)
class Hit:
    """One counted request: whether it fits the window, and how long until the next window."""

    admitted: bool
    count: int | None  # the window's count with this request; None: the window was full
    retry_after_seconds: int  # whole seconds until the next window starts (1..60)


async def authenticate_and_hit(
    conn: Queries, secret: str, limit: int, at: datetime | None = None
) -> tuple[Principal, Hit] | None:
    """`authenticate` and, for a valid key, one request of its account counted in the current
    window (of `at`, default the database's clock), in one statement; admitted while the window
    holds at most `limit` requests. None (and nothing counted) for a key that is unknown or
    revoked."""
    row = await conn.fetchrow(_KEY_HIT, hash_key(secret), limit, at)
    if row is None:
        return None
    count = row["count"]
    admitted = count is not None and count <= limit
    return principal_of(row), Hit(admitted, count, max(1, int(row["retry_after"])))


async def purge_past_windows(pool: Pool) -> int:
    """Delete the windows that ended before the database's current minute; returns how many."""
    result: str = await pool.execute(
        "DELETE FROM rate_limit_windows WHERE window_start < date_trunc('minute', now())"
    )
    return int(result.rsplit(maxsplit=1)[-1])
