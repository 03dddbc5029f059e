"""Warehouse notification: a signed webhook when the warehouse has a URL, else recorded.

The URL passes the outbound address policy again, after DNS, before each attempt.
"""

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import transports
from activities.destinations import DestinationGate, Target, send_failure
from activities.heartbeat import heartbeating
from config.settings import Settings
from domain.activities import ActivityName
from domain.destinations import DestinationKind
from domain.failures import ActivityFailure
from observability.metrics import WAREHOUSE_NOTIFICATIONS
from store import packages, submissions
from store.db import Pool
from store.exports import NewEvent, append_events, database_now, hold_export, lock_export
from store.reference import get_warehouse_by_id
from workflows.messages import StepInput

UNDELIVERED = ("PENDING", "FAILED")


class WarehouseActivities:
    """The notification step of execution."""

    def __init__(self, pool: Pool, http: httpx.AsyncClient, settings: Settings) -> None:
        self.pool = pool
        self.http = http
        self.settings = settings
        self.gate = DestinationGate(pool, settings)

    @activity.defn(name=ActivityName.NOTIFY_WAREHOUSE)
    async def notify_warehouse(self, inp: StepInput) -> str:
        """Deliver (or record) the notification once; returns its status."""
        async with heartbeating():
            return await self._notify_warehouse(inp)

    async def _notify_warehouse(self, inp: StepInput) -> str:
        async with self.pool.acquire() as conn, conn.transaction():
            export = await lock_export(conn, inp.export_id)
            assert export is not None
            warehouse = await get_warehouse_by_id(conn, export.warehouse_id)
            assert warehouse is not None  # an export names a warehouse of its account
            note = await submissions.ensure_notification(conn, export, warehouse)
            if note.status in UNDELIVERED:
                # a retry after a fix uses the warehouse's address as it is now
                note = await submissions.readdress_notification(conn, note.id, warehouse)
            package = await packages.find_package(conn, inp.export_id, inp.plan_hash)
        sending = note.status in UNDELIVERED
        if sending:
            assert note.recipient is not None  # only a notification with a URL is sent
            payload = {
                "event": "EXPORT_EXECUTED",
                "notificationId": note.id,
                "exportId": inp.export_id,
                "customsPackageId": package.id if package else None,
                "packageNumber": package.package_number if package else None,
                "orderIds": export.plan.included_order_ids,
            }
            target = Target(export.account_id, DestinationKind.WAREHOUSE, warehouse.id, export.id)
            try:
                async with self.gate.sending(target):
                    async with self.pool.acquire() as conn:
                        await submissions.count_notification_attempt(conn, note.id)
                    await transports.check_outbound(
                        note.recipient, self.settings.allow_private_urls
                    )
                    await transports.post_signed(
                        self.http,
                        note.recipient,
                        warehouse.notification_secret,
                        payload,
                        note.id,
                    )
            except ApplicationError as held:
                err = send_failure(held)
                if err is None:
                    raise  # held by the destination: nothing was sent
                invalid = err.type == ActivityFailure.INVALID_ADDRESS
                WAREHOUSE_NOTIFICATIONS.labels(
                    outcome="invalid_address" if invalid else "failed"
                ).inc()
                async with self.pool.acquire() as conn:
                    await submissions.record_notification(
                        conn,
                        note.id,
                        delivered=False,
                        error=err.message,
                        final=err.non_retryable and err is held,
                    )
                raise
            WAREHOUSE_NOTIFICATIONS.labels(outcome="delivered").inc()
        async with self.pool.acquire() as conn, conn.transaction():
            await hold_export(conn, inp.export_id)
            if sending:
                await submissions.record_notification(conn, note.id, delivered=True, error=None)
            now = await database_now(conn)
            await append_events(
                conn,
                inp.export_id,
                [
                    NewEvent(
                        "WAREHOUSE_NOTIFIED",
                        f"{note.id}:NOTIFIED",
                        "system",
                        {"notificationId": note.id, "channel": note.channel},
                    )
                ],
                now,
            )
        return "DELIVERED" if sending else note.status
