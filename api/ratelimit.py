"""Per-account request rate limit, shared by every API process through PostgreSQL.

Each authenticated request is counted by one statement on the `rate_limit_windows` row of its
account and the current one-minute window (store/ratelimit.py), on the database's clock, so N
replicas together admit the limit, not N times it. The count is taken in the
statement that reads the request's key (`authenticate_and_hit`: one round trip), in autocommit,
before the route runs: a refused request writes nothing else.

When the database cannot be reached the check raises the driver's error, and the request fails
like any other database failure (503 SERVICE_UNAVAILABLE with Retry-After, api/gateway.py) instead
of being let through: the request has just read its key from the same database, and a limiter
that opens when the database struggles would admit unbounded traffic exactly then.
"""

from collections.abc import Callable
from datetime import datetime

from api.errors import ApiError
from observability.metrics import RATE_LIMITED
from store.accounts import Principal
from store.db import Queries
from store.ratelimit import Hit, authenticate_and_hit


class RateLimiter:
    """Counts requests per account per minute; over the limit answers 429 with Retry-After."""

    def __init__(self, per_minute: int, clock: Callable[[], datetime] | None = None) -> None:
        self.per_minute = per_minute
        # None: the database's clock (shared by every process); tests pin a window with a clock
        self.clock = clock

    async def read_key(self, conn: Queries, secret: str) -> tuple[Principal, Hit] | None:
        """The key's principal and its request's count, taken in one statement on `conn` (a
        pooled connection outside any transaction); None for a key that is unknown or revoked,
        which counts nothing. `admit` the count."""
        return await authenticate_and_hit(conn, secret, self.per_minute, self._at())

    def _at(self) -> datetime | None:
        return self.clock() if self.clock is not None else None

    def admit(self, counted: Hit) -> None:
        """Raise 429 RATE_LIMITED when the count was over the account's limit."""
        if counted.admitted:
            return
        RATE_LIMITED.inc()
        raise ApiError(
            429,
            "RATE_LIMITED",
            "Too many requests for this account; slow down.",
            details={"limitPerMinute": self.per_minute},
            headers={"Retry-After": str(counted.retry_after_seconds)},
        )
