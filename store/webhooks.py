"""Webhook endpoints and their delivery outbox (export and destination events); the feed is
store/feed.py."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.db import Connection, Queries, Row, one
from store.errors import NotFound
from store.ids import new_id


@dataclass(frozen=True)
class EndpointRecord:
    """A webhook endpoint (its secret is read only by the sender)."""

    id: str
    account_id: str
    url: str
    event_types: list[str] | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True)
class DeliveryRecord:
    """One event's delivery to one endpoint: an export's event, or a destination's."""

    id: int
    endpoint_id: str
    event_id: str
    export_id: str | None
    destination_id: str | None
    seq: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what sending it needs."""

    id: int
    url: str
    secret: str
    attempts: int
    created_at: datetime
    event: dict[str, Any]
    # the endpoint and its account (its breaker is `webhook:<endpoint_id>`), and whether this
    # send is the one probing the endpoint's open breaker
    endpoint_id: str | None = None
    account_id: str | None = None
    probe: bool = False


def _endpoint(row: Row) -> EndpointRecord:
    return EndpointRecord(
        id=row["id"],
        account_id=row["account_id"],
        url=row["url"],
        event_types=list(row["event_types"]) if row["event_types"] is not None else None,
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
    )


async def create_endpoint(
    conn: Connection,
    account_id: str,
    url: str,
    secret: str,
    event_types: list[str] | None,
    description: str | None,
) -> EndpointRecord:
    """A new endpoint; it receives the events appended from now on."""
    row = await conn.fetchrow(
        """INSERT INTO webhook_endpoints (id, account_id, url, secret, event_types, description)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *""",
        new_id("whe"),
        account_id,
        url,
        secret,
        event_types,
        description,
    )
    return _endpoint(one(row))


async def get_endpoint(
    conn: Queries, account_id: str, endpoint_id: str, *, deleted: bool = False
) -> EndpointRecord:
    """An endpoint of the account (NotFound otherwise, and once deleted unless `deleted`)."""
    row = await conn.fetchrow(
        """SELECT * FROM webhook_endpoints
           WHERE id = $1 AND account_id = $2 AND ($3 OR deleted_at IS NULL)""",
        endpoint_id,
        account_id,
        deleted,
    )
    if row is None:
        raise NotFound("webhookEndpoint")
    return _endpoint(row)


async def list_endpoints(
    conn: Queries, account_id: str, after: str | None, limit: int
) -> list[EndpointRecord]:
    """The account's endpoints by id (deleted ones are gone)."""
    rows = await conn.fetch(
        """SELECT * FROM webhook_endpoints
           WHERE account_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR id > $2)
           ORDER BY id LIMIT $3""",
        account_id,
        after,
        limit,
    )
    return [_endpoint(r) for r in rows]


async def update_endpoint(
    conn: Connection,
    account_id: str,
    endpoint_id: str,
    fields: dict[str, Any],
) -> EndpointRecord:
    """Change the fields given (url, secret, eventTypes, description); one fixed statement."""
    row = await conn.fetchrow(
        """UPDATE webhook_endpoints SET
               url = CASE WHEN $3 THEN $4 ELSE url END,
               secret = CASE WHEN $5 THEN $6 ELSE secret END,
               event_types = CASE WHEN $7 THEN $8::text[] ELSE event_types END,
               description = CASE WHEN $9 THEN $10 ELSE description END,
               updated_at = now()
           WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING *""",
        endpoint_id,
        account_id,
        "url" in fields,
        fields.get("url"),
        "secret" in fields,
        fields.get("secret"),
        "eventTypes" in fields,
        fields.get("eventTypes"),
        "description" in fields,
        fields.get("description"),
    )
    if row is None:
        raise NotFound("webhookEndpoint")
    return _endpoint(row)


async def delete_endpoint(conn: Connection, account_id: str, endpoint_id: str) -> EndpointRecord:
    """Stop an endpoint: nothing more is queued for it, and what is pending is dropped.
    Deleting it again changes nothing (and answers the same); reading it answers NotFound."""
    found = await get_endpoint(conn, account_id, endpoint_id, deleted=True)
    if found.deleted_at is not None:
        return found
    row = await conn.fetchrow(
        """UPDATE webhook_endpoints SET deleted_at = now(), updated_at = now()
           WHERE id = $1 RETURNING *""",
        endpoint_id,
    )
    await conn.execute(
        """UPDATE webhook_deliveries SET status = 'FAILED', last_error = 'endpoint deleted'
           WHERE endpoint_id = $1 AND status = 'PENDING'""",
        endpoint_id,
    )
    return _endpoint(one(row))


# the outbox is woken at commit (store/notify.py), and only when a delivery was queued: an account
# with no endpoint costs the outbox nothing
# (the channel is store/notify.py's CHANNEL, written out: statements are fixed text)


async def enqueue_destination_event(conn: Connection, event_id: str) -> None:
    """Queue a destination's event for every live endpoint of its account that wants its type
    (called in the transaction that appends it)."""
    await conn.execute(
        """WITH queued AS (
               INSERT INTO webhook_deliveries
                   (endpoint_id, destination_event_id, destination_id, seq, event_type)
               SELECT w.id, e.id, e.destination_id, e.seq, e.type
               FROM destination_events e
               JOIN webhook_endpoints w ON w.account_id = e.account_id AND w.deleted_at IS NULL
                    AND (w.event_types IS NULL OR e.type = any(w.event_types))
               WHERE e.id = $1
               ON CONFLICT DO NOTHING
               RETURNING 1)
           SELECT pg_notify('entrygo_outbox', '') WHERE EXISTS (SELECT 1 FROM queued)""",
        event_id,
    )


async def list_deliveries(
    conn: Queries, endpoint_id: str, before: int | None, limit: int
) -> list[DeliveryRecord]:
    """An endpoint's deliveries, newest first."""
    rows = await conn.fetch(
        """SELECT id, endpoint_id, coalesce(event_id, destination_event_id) AS event_id,
                  export_id, destination_id, seq, event_type, status, attempts,
                  next_attempt_at, last_error, last_status_code, created_at, delivered_at
           FROM webhook_deliveries
           WHERE endpoint_id = $1 AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""",
        endpoint_id,
        before,
        limit,
    )
    return [DeliveryRecord(**dict(r)) for r in rows]


async def lease(conn: Connection, delivery_id: int, lease_seconds: float) -> None:
    """Lease one delivery for a send (an attempt is spent)."""
    await conn.execute(
        """UPDATE webhook_deliveries
           SET leased_until = now() + make_interval(secs => $2), attempts = attempts + 1
           WHERE id = $1""",
        delivery_id,
        float(lease_seconds),
    )


# What sending a delivery needs, read from `d`: a `webhook_deliveries` row, or the rows a
# statement leased and returned (with the columns read here); fixed text joined to the statement.
SENDING = """
SELECT d.id, d.attempts, d.created_at, d.endpoint_id, w.account_id, w.url, w.secret,
       coalesce(e.id, de.id) AS event_id, coalesce(e.type, de.type) AS type,
       e.export_id, de.destination_id, coalesce(e.seq, de.seq) AS seq,
       coalesce(e.occurred_at, de.occurred_at) AS occurred_at,
       coalesce(e.data, de.data) AS data
"""
SENDING_JOINS = """
JOIN webhook_endpoints w ON w.id = d.endpoint_id
LEFT JOIN export_events e ON e.id = d.event_id
LEFT JOIN destination_events de ON de.id = d.destination_event_id
"""


async def leased(conn: Queries, ids: list[int], probe: bool = False) -> list[DueDelivery]:
    """What sending the given leased deliveries needs, their event in the webhook's shape."""
    if not ids:
        return []
    rows = await conn.fetch(
        SENDING
        + "FROM webhook_deliveries d"
        + SENDING_JOINS
        + "WHERE d.id = any($1::bigint[]) ORDER BY d.id",
        ids,
    )
    return sending(rows, probe)


def sending(rows: list[Row], probe: bool = False) -> list[DueDelivery]:
    """Deliveries to send from rows read by `SENDING`, in the order given."""
    return [
        DueDelivery(
            id=r["id"],
            url=r["url"],
            secret=r["secret"],
            attempts=r["attempts"],
            created_at=r["created_at"],
            event=_payload(r),
            endpoint_id=r["endpoint_id"],
            account_id=r["account_id"],
            probe=probe,
        )
        for r in rows
    ]


def _payload(r: Row) -> dict[str, Any]:
    """The webhook's body: an export's event, or a destination's (`exportId` null, with its
    `destinationId`)."""
    event = {
        "eventId": r["event_id"],
        "type": r["type"],
        "exportId": r["export_id"],
        "seq": r["seq"],
        "createdAt": r["occurred_at"],
        "data": r["data"],
    }
    if r["destination_id"] is not None:
        event["destinationId"] = r["destination_id"]
    return event


async def mark_delivered(conn: Connection, delivery_id: int, status_code: int) -> None:
    """The receiver answered 2xx."""
    await conn.execute(
        """UPDATE webhook_deliveries SET status = 'DELIVERED', delivered_at = now(),
               leased_until = NULL, last_status_code = $2, last_error = NULL
           WHERE id = $1""",
        delivery_id,
        status_code,
    )


async def mark_failed(
    conn: Connection,
    delivery_id: int,
    error: str,
    status_code: int | None,
    retry_in_seconds: float | None,
) -> None:
    """The attempt failed: try again after `retry_in_seconds`, or give up (None)."""
    await conn.execute(
        """UPDATE webhook_deliveries SET
               status = CASE WHEN $4::float8 IS NULL THEN 'FAILED' ELSE 'PENDING' END,
               next_attempt_at = now() + make_interval(secs => coalesce($4::float8, 0)),
               leased_until = NULL, last_error = $2, last_status_code = $3
           WHERE id = $1""",
        delivery_id,
        error[:1000],
        status_code,
        retry_in_seconds,
    )
