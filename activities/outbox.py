"""The webhook outbox, drained by the worker: every export event, signed and POSTed to each
endpoint that wants it, at least once, in seq order per export.

Deliveries are rows written with their event (store/webhooks.py), so a crash of the worker or
the API loses none. A sender leases a delivery before it sends; one that dies mid-send leaves
the lease to lapse and the delivery is sent again (receivers dedupe by `eventId`). A failed
attempt is retried with capped exponential backoff and jitter until `webhook_give_up_seconds`.

Each endpoint is a destination with a circuit breaker (activities/webhook_breaker.py): while it
holds an endpoint's deliveries none is claimed or charged an attempt, one probe tests it when
its backoff ends, and each outcome is counted toward it.
"""

import asyncio
import json
import logging
import random
import time
from datetime import UTC, datetime

import httpx

from activities.webhook_breaker import EndpointBreakers, transient_status
from config.settings import Settings
from domain.wire import wire_value
from observability.metrics import WEBHOOK_DELIVERIES
from signing import SIGNATURE_HEADER, sign
from store import webhook_claims, webhooks
from store.db import Pool
from store.notify import Wakeup
from store.resolver import Unresolved, outbound_refusal
from store.webhooks import DueDelivery

log = logging.getLogger("entrygo.outbox")

BATCH = 20  # what `drain_once` claims
MAX_IN_FLIGHT = 50  # deliveries one outbox sends at once
LEASE_MARGIN_SECONDS = 5.0  # a lease outlives the POST's timeout by this much
GIVE_UP_SWEEP_SECONDS = 30.0  # how often held deliveries are checked for their age
DUE_MARGIN_SECONDS = 0.01  # wake just after a due time, not a hair before it
RETRY_AFTER_ERROR_SECONDS = 1.0  # the database is down: try again in a while


class AddressRefused(Exception):
    """The endpoint resolves to an address webhooks may not reach."""


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt: exponential in the attempts made, capped, jittered."""
    ceiling = float(min(cap, base * 2 ** max(attempts - 1, 0)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311  (jitter, not a secret)


async def check_address(url: str, allow_private: bool) -> None:
    """Resolve the URL's host and refuse it when any address is not public (unless allowed); a
    name that does not resolve now raises Unresolved (retried: DNS may be down a moment)."""
    if allow_private:
        return
    reason = await outbound_refusal(url)
    if reason is not None:
        raise AddressRefused(reason)


class Outbox:
    """Sends due deliveries until stopped."""

    def __init__(self, pool: Pool, settings: Settings, http: httpx.AsyncClient | None = None):
        self.pool = pool
        self.settings = settings
        self.http = http or httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False
        )
        self.breakers = EndpointBreakers(pool, settings)
        self.wakeup = Wakeup(pool)
        self._swept_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; a database outage pauses it, never ends it.

        Deliveries go out as they are claimed, up to `MAX_IN_FLIGHT` at once: a new one does
        not wait for the slowest of the ones before it. A delivered one leases the next of its
        stream as it is marked, and that one goes out at once from the same task
        (`_deliver_stream`). A task that ends wakes the claim (room was made, a retry time may
        come before the sleep's end, or the stream's next delivery was committed while its last
        one was being marked). With nothing to claim it sleeps until a delivery is queued
        (NOTIFY), a task ends, the next one falls due, or the fallback."""
        listening = asyncio.create_task(self.wakeup.run(stop))
        sending: set[asyncio.Task[None]] = set()

        def ended(task: asyncio.Task[None]) -> None:
            sending.discard(task)
            # once per stream's run, not per delivery: a delivery of the stream committed while
            # the last one was being marked was seen neither by that statement nor, while the
            # one before it was still leased, by a claim
            self.wakeup.event.set()
            if not task.cancelled() and task.exception() is not None:
                log.warning("webhook delivery failed to finish", exc_info=task.exception())

        while not stop.is_set():
            self.wakeup.event.clear()  # a signal during the claim makes another pass
            room = MAX_IN_FLIGHT - len(sending)
            claimed: list[DueDelivery] = []
            if room > 0:
                try:
                    claimed = await self.claim(room)
                except Exception:
                    log.warning("webhook outbox could not claim", exc_info=True)
            for delivery in claimed:
                task = asyncio.create_task(self._deliver_stream(delivery, stop))
                sending.add(task)
                task.add_done_callback(ended)
            if len(claimed) < max(room, 1):  # nothing more is due now (or no room)
                await self._sleep(stop)
        await asyncio.gather(*sending, return_exceptions=True)
        await listening
        await self.http.aclose()

    async def _sleep(self, stop: asyncio.Event) -> None:
        timeout = self.settings.outbox_fallback_seconds
        try:
            async with self.pool.acquire() as conn:
                due_in = await webhook_claims.next_due_in(conn)
        except Exception:
            log.warning("webhook outbox could not read the next due time", exc_info=True)
            due_in = RETRY_AFTER_ERROR_SECONDS
        if due_in is not None:
            timeout = min(timeout, max(due_in, 0.0) + DUE_MARGIN_SECONDS)
        waits = [
            asyncio.ensure_future(stop.wait()),
            asyncio.ensure_future(self.wakeup.event.wait()),
        ]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def drain_once(self) -> int:
        """Send one batch of due deliveries and wait for them all; returns how many were
        attempted."""
        sends = await self.claim(BATCH)
        if sends:
            await asyncio.gather(*(self._deliver(d) for d in sends))
        return len(sends)

    async def claim(self, limit: int) -> list[DueDelivery]:
        """Lease the probes of endpoints whose breaker is due one, and up to `limit` due
        deliveries first in line for their stream."""
        lease = self._lease_seconds()
        await self._sweep_held()
        # on two connections at once: a probe's endpoint is held, so the two never take the same
        # delivery, and a queued delivery waits for one round trip rather than two
        found = await asyncio.gather(
            self.breakers.claim_probes(lease), self._claim_due(limit, lease), return_exceptions=True
        )
        sends = [d for part in found if not isinstance(part, BaseException) for d in part]
        failed = [part for part in found if isinstance(part, BaseException)]
        if failed and not sends:
            raise failed[0]
        for error in failed:  # what the other part leased goes out all the same
            log.warning("webhook outbox could not claim", exc_info=error)
        return sends

    async def _claim_due(self, limit: int, lease: float) -> list[DueDelivery]:
        async with self.pool.acquire() as conn:
            return await webhook_claims.claim_due(conn, limit, lease)

    async def _sweep_held(self) -> None:
        """Give up held deliveries as old as a delivery is retried for (now and then: they are
        found by age, and give-up is counted in days)."""
        if self._swept_at is not None and time.monotonic() - self._swept_at < GIVE_UP_SWEEP_SECONDS:
            return
        self._swept_at = time.monotonic()
        given_up = await self.breakers.give_up_held(self.settings.webhook_give_up_seconds)
        if given_up:
            WEBHOOK_DELIVERIES.labels(outcome="failed").inc(given_up)

    async def _deliver_stream(self, delivery: DueDelivery, stop: asyncio.Event) -> None:
        """Send a delivery, then each next one of its stream leased as the one before it was
        marked delivered (once stopping, the next is left for the claim)."""
        following = await self._deliver(delivery, chain=True)
        while following is not None:
            following = await self._deliver(following, chain=not stop.is_set())

    async def _deliver(self, delivery: DueDelivery, chain: bool = False) -> DueDelivery | None:
        """Send one delivery and record how it went; when `chain`, the next delivery of its
        stream, leased with the success if it may go now."""
        body = json.dumps(delivery.event, separators=(",", ":"), default=wire_value).encode()
        status: int | None = None
        try:
            await check_address(delivery.url, self.settings.allow_private_urls)
            headers = {
                "content-type": "application/json",
                "EntryGo-Event-Id": delivery.event["eventId"],
                SIGNATURE_HEADER: sign(delivery.secret, body, int(time.time())),
            }
            response = await self.http.post(delivery.url, content=body, headers=headers)
            status = response.status_code
            if response.is_success:
                return await self._delivered(delivery, status, chain)
            error = f"HTTP {status}"
            # a refusal (4xx) is retried as before, but says nothing of the endpoint's health
            transient = transient_status(status)
        except (AddressRefused, httpx.InvalidURL, UnicodeError) as exc:
            # never retried: neither the address nor the URL will change
            async with self.pool.acquire() as conn:
                await webhooks.mark_failed(conn, delivery.id, str(exc), None, None)
            WEBHOOK_DELIVERIES.labels(outcome="failed").inc()
            await self.breakers.failed(delivery, str(exc), transient=False)
            return None
        except Unresolved as exc:  # a resolver failing for a moment: retried with backoff
            error = str(exc)[:300]
            transient = True
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            transient = True
        await self._failed(delivery, error, status)
        await self.breakers.failed(delivery, error, transient)
        return None

    async def _delivered(
        self, delivery: DueDelivery, status: int, chain: bool
    ) -> DueDelivery | None:
        following: DueDelivery | None = None
        async with self.pool.acquire() as conn:
            if chain:
                settled, following = await webhook_claims.delivered_then_next(
                    conn, delivery.id, status, self._lease_seconds()
                )
            else:
                await webhooks.mark_delivered(conn, delivery.id, status)
                settled = None
        WEBHOOK_DELIVERIES.labels(outcome="delivered").inc()
        await self.breakers.succeeded(delivery, settled)
        return following

    def _lease_seconds(self) -> float:
        return self.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS

    async def _failed(self, delivery: DueDelivery, error: str, status: int | None) -> None:
        age = (datetime.now(UTC) - delivery.created_at).total_seconds()
        retry: float | None = backoff(
            delivery.attempts,
            self.settings.webhook_retry_base_seconds,
            self.settings.webhook_retry_cap_seconds,
        )
        if age > self.settings.webhook_give_up_seconds:
            retry = None
        async with self.pool.acquire() as conn:
            await webhooks.mark_failed(conn, delivery.id, error, status, retry)
        WEBHOOK_DELIVERIES.labels(outcome="failed" if retry is None else "retry").inc()
