"""Idempotency records (CONTRACT §4): a key claimed by a request, then tied to its answer.

A transaction-scoped advisory lock on (account, key) tells a concurrent duplicate that the
first is still running without making it wait; a lease says the same across transactions.
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from store.db import Connection, Pool


class ClaimState(Enum):
    """What a claim found."""

    CLAIMED = "claimed"  # the key is this request's now
    IN_PROGRESS = "in_progress"  # another request with the key is running
    CONFLICT = "conflict"  # the key answered a different request
    REPLAY = "replay"  # the key answered this very request: here is the answer


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a key; a replay carries the stored answer."""

    state: ClaimState
    answer: tuple[int, bytes] | None = None  # (status code, body) of a replay


async def claim(
    conn: Connection,
    account_id: str,
    key: str,
    digest: bytes,
    ttl: timedelta,
    *,
    lease: timedelta | None,
) -> Claim:
    """Claim `key` for the request whose fingerprint is `digest` (inside a transaction)."""
    locked = await conn.fetchval(
        "SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2))", account_id, key
    )
    if not locked:
        return Claim(ClaimState.IN_PROGRESS)
    row = await conn.fetchrow(
        """SELECT fingerprint, status_code, response_body, expires_at > now() AS live,
                  coalesce(locked_until > now(), false) AS leased
           FROM idempotency_keys WHERE account_id = $1 AND key = $2""",
        account_id,
        key,
    )
    if row is not None and row["status_code"] is None and row["leased"]:
        return Claim(ClaimState.IN_PROGRESS)
    if row is not None and row["live"] and row["status_code"] is not None:
        if row["fingerprint"] != digest:
            return Claim(ClaimState.CONFLICT)
        return Claim(ClaimState.REPLAY, (row["status_code"], bytes(row["response_body"])))
    await conn.execute(
        """INSERT INTO idempotency_keys (account_id, key, fingerprint, expires_at, locked_until)
           VALUES ($1, $2, $3, now() + $4, now() + $5)
           ON CONFLICT (account_id, key) DO UPDATE
             SET fingerprint = EXCLUDED.fingerprint, status_code = NULL, response_body = NULL,
                 created_at = now(), expires_at = EXCLUDED.expires_at,
                 locked_until = EXCLUDED.locked_until""",
        account_id,
        key,
        digest,
        ttl,
        lease,
    )
    return Claim(ClaimState.CLAIMED)


async def store_answer(
    conn: Connection, account_id: str, key: str, status: int, body: bytes
) -> None:
    """Tie the key to its answer, for replays; the lease ends."""
    await conn.execute(
        """UPDATE idempotency_keys
           SET status_code = $3, response_body = $4, locked_until = NULL
           WHERE account_id = $1 AND key = $2""",
        account_id,
        key,
        status,
        body,
    )


async def release(conn: Connection, account_id: str, key: str) -> None:
    """Give up a claim that got no answer, so a fixed request may reuse the key."""
    await conn.execute(
        """DELETE FROM idempotency_keys
           WHERE account_id = $1 AND key = $2 AND status_code IS NULL""",
        account_id,
        key,
    )


async def purge_expired(pool: Pool) -> int:
    """Delete expired records; returns how many."""
    result: str = await pool.execute("DELETE FROM idempotency_keys WHERE expires_at <= now()")
    return int(result.rsplit(maxsplit=1)[-1])
