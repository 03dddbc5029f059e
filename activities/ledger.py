"""The ledger: every export transition, written to the projection and the event log at once."""

from typing import Any

from temporalio import activity

from domain.status import FINAL
from store import exports, packages, submissions
from store.exports import NewEvent, append_events, lock_export
from store.pool import Pool
from workflows.messages import TransitionInput

_SUBMISSION_STATUS = {
    "ACKNOWLEDGED": "ACKNOWLEDGED",
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
}
_PACKAGE_STATE = {"ACCEPTED": "ACCEPTED", "REJECTED": "REJECTED"}


class LedgerActivities:
    """Writes transitions; retried writes are harmless (events are keyed)."""

    def __init__(self, pool: Pool) -> None:
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
        await exports.update_projection(
            conn,
            inp.exportId,
            status=inp.status,
            approval=inp.approval.model_dump(mode="json") if inp.approval else None,
            attention=inp.attention.model_dump(mode="json") if inp.attention else None,
            clear_attention=inp.clearAttention,
            execution_requested=inp.executionRequested,
            at=inp.occurredAt,
            final=sorted(FINAL),
        )
        if inp.attention is not None and inp.attention.step == "send":
            # the send step failed for good: the submission shows it, not just the export
            await submissions.fail_prepared_submission(conn, inp.exportId, inp.occurredAt)

    @staticmethod
    async def _record_outcome(conn: Any, inp: TransitionInput) -> None:
        outcome = inp.brokerOutcome
        assert outcome is not None
        await submissions.record_outcome(
            conn,
            inp.exportId,
            status=_SUBMISSION_STATUS[outcome.status],
            entry_number=outcome.entryNumber,
            broker_reference=outcome.brokerReference,
            reason=outcome.reason,
            at=inp.occurredAt,
        )
        state = _PACKAGE_STATE.get(outcome.status)
        if state is not None:
            await packages.set_export_package_state(conn, inp.exportId, state, inp.occurredAt)
