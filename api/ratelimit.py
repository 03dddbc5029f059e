"""Per-account request rate limit (fixed one-minute windows, per API process)."""

import math
import time

from api.errors import ApiError


class RateLimiter:
    """Counts requests per account per minute; over the limit answers 429 with Retry-After."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window = 0
        self._counts: dict[str, int] = {}

    def check(self, account_id: str, now: float | None = None) -> None:
        """Count one request; raise 429 RATE_LIMITED when the account is over its limit."""
        now = time.monotonic() if now is None else now
        window = int(now // 60)
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(account_id, 0) + 1
        self._counts[account_id] = count
        if count > self.per_minute:
            retry_after = max(1, math.ceil((window + 1) * 60 - now))
            raise ApiError(
                429,
                "RATE_LIMITED",
                "Too many requests for this account; slow down.",
                details={"limitPerMinute": self.per_minute},
                headers={"Retry-After": str(retry_after)},
            )
