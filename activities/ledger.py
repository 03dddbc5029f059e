"""The ledger: every export transition, written to the projection and the event log at once."""

from typing import Any

import asyncpg
from temporalio import activity

from domain.status import FINAL
from store.exports import NewEvent, append_events, lock_export
from workflows.messages import TransitionInput

_SUBMISSION_STATUS = {
    "ACKNOWLEDGED": "ACKNOWLEDGED",
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
}
_PACKAGE_STATE = {"ACCEPTED": "ACCEPTED", "REJECTED": "REJECTED"}


class LedgerActivities:
    """Writes transitions; retried writes are harmless (events are keyed)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn(name="record_transition")
    async def record_transition(self, inp: TransitionInput) -> None:
        """Move the projection and append the transition's events in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await lock_export(conn, inp.exportId)
            if row is None:
                raise RuntimeError(f"export {inp.exportId} has no projection row")
            await self._update_projection(conn, inp)
            if inp.brokerOutcome is not None:
                await self._record_outcome(conn, inp)
            await append_events(
                conn,
                inp.exportId,
                [NewEvent(e.type, e.dedupeKey, e.actor, e.data) for e in inp.events],
                inp.occurredAt,
            )

    @staticmethod
    async def _update_projection(conn: Any, inp: TransitionInput) -> None:
        await conn.execute(
            """UPDATE exports SET
                   status = CASE WHEN status = any($8::text[]) THEN status
                                 ELSE coalesce($2, status) END,
                   approval = CASE WHEN status = any($8::text[]) THEN approval
                                   ELSE coalesce($3::jsonb, approval) END,
                   attention = CASE WHEN $5 THEN NULL ELSE coalesce($4::jsonb, attention) END,
                   execution_requested = coalesce($6, execution_requested),
                   updated_at = $7
               WHERE id = $1""",
            inp.exportId,
            inp.status,
            inp.approval.model_dump(mode="json") if inp.approval else None,
            inp.attention.model_dump(mode="json") if inp.attention else None,
            inp.clearAttention,
            inp.executionRequested,
            inp.occurredAt,
            sorted(FINAL),
        )
        if inp.attention is not None and inp.attention.step == "send":
            # the send step failed for good: the submission shows it, not just the export
            await conn.execute(
                """UPDATE broker_submissions SET status = 'FAILED', updated_at = $2
                   WHERE export_id = $1 AND status = 'PREPARED'""",
                inp.exportId,
                inp.occurredAt,
            )

    @staticmethod
    async def _record_outcome(conn: Any, inp: TransitionInput) -> None:
        outcome = inp.brokerOutcome
        assert outcome is not None
        await conn.execute(
            """UPDATE broker_submissions SET
                   status = CASE WHEN status IN ('ACCEPTED', 'REJECTED') THEN status ELSE $2 END,
                   entry_number = coalesce($3, entry_number),
                   broker_reference = coalesce($4, broker_reference),
                   error_message = coalesce($5, error_message),
                   updated_at = $6
               WHERE export_id = $1""",
            inp.exportId,
            _SUBMISSION_STATUS[outcome.status],
            outcome.entryNumber,
            outcome.brokerReference,
            outcome.reason,
            inp.occurredAt,
        )
        state = _PACKAGE_STATE.get(outcome.status)
        if state is not None:
            await conn.execute(
                "UPDATE customs_packages SET state = $2, updated_at = $3 WHERE export_id = $1",
                inp.exportId,
                state,
                inp.occurredAt,
            )
