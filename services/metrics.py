"""The gauges read from the database, refreshed when scraped and at most every few seconds (a
scrape from each of several Prometheus servers costs one pair of queries per interval)."""

import asyncio
import time

from domain.destinations import DestinationKind, DestinationState
from domain.status import ExportStatus
from observability.metrics import (
    BROKER_REQUESTS_OPEN,
    CUSTOMS_HOLD_OLDEST_AGE,
    DESTINATIONS,
    EXPORTS,
    EXPORTS_WAITING,
    REVIEW_QUEUE_OLDEST_AGE,
)
from store import metrics
from store.db import Pool

READ_LIMIT_SECONDS = 2.0


class DatabaseGauges:
    """Sets `entrygo_exports{status}`, `entrygo_review_queue_oldest_age_seconds`,
    `entrygo_broker_requests_open`, `entrygo_customs_hold_oldest_age_seconds`,
    `entrygo_destinations{kind,state}` and `entrygo_exports_waiting_for_destination{kind}`."""

    def __init__(self, cache_seconds: float) -> None:
        self.cache_seconds = cache_seconds
        self._read_at = -float("inf")
        self._lock = asyncio.Lock()

    async def refresh(self, pool: Pool) -> None:
        """Read again unless the last read is recent enough."""
        async with self._lock:
            if time.monotonic() - self._read_at < self.cache_seconds:
                return
            # bounded: a scrape during an overload answers with the last values, not a hang
            async with asyncio.timeout(READ_LIMIT_SECONDS), pool.acquire() as conn:
                counts = await metrics.exports_by_status(conn)
                oldest = await metrics.oldest_awaiting_review_seconds(conn)
                requests = await metrics.open_broker_requests(conn)
                hold = await metrics.oldest_open_hold_seconds(conn)
                states = await metrics.destinations_by_state(conn)
                waiting = await metrics.exports_waiting_by_kind(conn)
            # every status has a series, so "none" reads as 0 rather than as missing
            for status in ExportStatus:
                EXPORTS.labels(status.value).set(counts.get(status.value, 0))
            REVIEW_QUEUE_OLDEST_AGE.set(oldest)
            BROKER_REQUESTS_OPEN.set(requests)
            CUSTOMS_HOLD_OLDEST_AGE.set(hold)
            for kind in DestinationKind:
                EXPORTS_WAITING.labels(kind.value).set(waiting.get(kind.value, 0))
                for state in DestinationState:
                    DESTINATIONS.labels(kind.value, state.value).set(
                        states.get((kind.value, state.value), 0)
                    )
            self._read_at = time.monotonic()
