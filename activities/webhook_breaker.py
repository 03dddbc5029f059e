"""Webhook endpoints under fleet control (docs/fleet-control.md, "Webhook endpoints"): the
outbox's side of each endpoint's breaker, `webhook:<endpoint_id>`.

While the breaker is OPEN, HALF_OPEN or PAUSED the outbox claims none of the endpoint's
deliveries (store/webhook_claims.py `claim_due`), so none spends an attempt. When an open breaker's
backoff is over, one delivery is leased as the probe, chosen under the destination's row lock so
that several outbox processes pick one between them. A delivery's outcome is then counted as the
gate counts a workflow's send (activities/destinations.py): a transient failure (the network, a
5xx, 408 or 429) toward opening the breaker, a permanent one (another 4xx, an address the policy
refuses) not at all, a success closes it.
"""

from activities.destinations import apply, breaker_settings
from config.settings import Settings
from domain import destinations as breaker
from domain.destinations import DestinationKind, DestinationState, destination_id
from observability.metrics import DESTINATION_PROBES
from store import destinations, webhook_holds, webhooks
from store.db import Pool
from store.destinations import DestinationRecord
from store.exports import database_now
from store.webhooks import DueDelivery

PROBES_PER_DRAIN = 20  # endpoints probed per pass at most (each probe is one delivery)
KIND = DestinationKind.WEBHOOK.value


def transient_status(status: int) -> bool:
    """Whether an HTTP answer says the endpoint is unwell (5xx, 408, 429) rather than refusing
    this one delivery (any other non-2xx)."""
    return status >= 500 or status in (408, 429)


def probe_key(delivery_id: int) -> str:
    """The probe's name on the breaker (the field a workflow's probe fills with its export)."""
    return f"delivery:{delivery_id}"


class EndpointBreakers:
    """Chooses the probes of webhook endpoints and records how each delivery went."""

    def __init__(self, pool: Pool, settings: Settings) -> None:
        self.pool = pool
        self.settings = breaker_settings(settings)

    async def claim_probes(self, lease_seconds: float) -> list[DueDelivery]:
        """Lease one delivery for each endpoint whose breaker is due a probe."""
        chosen: list[int] = []
        async with self.pool.acquire() as conn:
            if not await destinations.webhook_probe_due(conn):
                return []
            async with conn.transaction():
                now = await database_now(conn)
                for record in await destinations.webhook_probes_due(conn, PROBES_PER_DRAIN):
                    candidate = await webhook_holds.probe_candidate(conn, record.ref_id)
                    if candidate is None:
                        continue  # nothing to send: the next delivery queued probes
                    key = probe_key(candidate)
                    change = breaker.choose_probe(record.breaker, key, now, self.settings)
                    if change is None:
                        continue
                    await apply(conn, record, change, now)
                    await webhooks.lease(conn, candidate, lease_seconds)
                    chosen.append(candidate)
            probes = await webhooks.leased(conn, chosen, probe=True)
        DESTINATION_PROBES.labels(kind=KIND, outcome="started").inc(len(probes))
        return probes

    async def give_up_held(self, give_up_seconds: float) -> int:
        """Held deliveries past the age a delivery is retried for are given up."""
        async with self.pool.acquire() as conn:
            return await webhook_holds.give_up_held(conn, give_up_seconds)

    async def succeeded(self, delivery: DueDelivery, settled: bool | None = None) -> None:
        """The endpoint answered 2xx: its breaker closes (and forgets its failures). `settled`:
        whether the breaker was read as settled with the delivery's mark (None: not read)."""
        owner = _owner(delivery)
        if owner is None:
            return
        if settled and not delivery.probe:
            return  # the common case: nothing to write
        if settled is None and not delivery.probe:
            async with self.pool.acquire() as conn:
                ident = destination_id(DestinationKind.WEBHOOK, owner[1])
                if await destinations.settled(conn, ident):
                    return  # the common case: nothing to write
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock(conn, owner[0], DestinationKind.WEBHOOK, owner[1])
            now = await database_now(conn)
            change = breaker.on_success(record.breaker, now)
            if change.breaker != record.breaker:
                await apply(conn, record, change, now)
        if delivery.probe:
            DESTINATION_PROBES.labels(kind=KIND, outcome="succeeded").inc()

    async def failed(self, delivery: DueDelivery, error: str, transient: bool) -> None:
        """The delivery failed: kept for the operator; counted when transient."""
        owner = _owner(delivery)
        if owner is None:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            record = await destinations.lock(conn, owner[0], DestinationKind.WEBHOOK, owner[1])
            now = await database_now(conn)
            await destinations.add_failure(
                conn,
                record.id,
                export_id=delivery.event.get("exportId"),
                error_class="WebhookDeliveryFailed",
                message=error,
                transient=transient,
                now=now,
            )
            probing = _probing(record, delivery)
            if not transient:
                if probing:  # a refusal still answers the probe: the endpoint is reachable
                    await apply(conn, record, breaker.on_success(record.breaker, now), now)
                return
            if record.breaker.state == DestinationState.HALF_OPEN and not probing:
                return  # sent before the breaker opened: the probe in flight decides
            change = breaker.on_failure(record.breaker, now, self.settings)
            await apply(conn, record, change, now, data={"error": error[:300]})
        if probing:
            DESTINATION_PROBES.labels(kind=KIND, outcome="failed").inc()


def _owner(delivery: DueDelivery) -> tuple[str, str] | None:
    """The account and the endpoint of a delivery (None for one read without them)."""
    if delivery.account_id is None or delivery.endpoint_id is None:
        return None
    return delivery.account_id, delivery.endpoint_id


def _probing(record: DestinationRecord, delivery: DueDelivery) -> bool:
    """Whether this delivery is the probe the breaker waits on."""
    b = record.breaker
    return b.state == DestinationState.HALF_OPEN and b.probe_export_id == probe_key(delivery.id)
