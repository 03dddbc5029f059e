"""The ledger: every export transition, written to the projection and the event log at once."""

from temporalio import activity

from domain.activities import ActivityName
from domain.status import FINAL
from store import destinations, exports, packages, submissions
from store.db import Connection, Pool
from store.exports import NewEvent, append_events
from workflows.messages import TransitionInput

_SUBMISSION_STATUS = {
    "ACKNOWLEDGED": "ACKNOWLEDGED",
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
}
_PACKAGE_STATE = {"ACCEPTED": "ACCEPTED", "REJECTED": "REJECTED"}
# the submission's status once the broker loop's side has an outcome (a release is an acceptance)
_SIDE_STATUS = {
    "RELEASED": "ACCEPTED",
    "ACCEPTED": "ACCEPTED",
    "REJECTED": "REJECTED",
    "REFUSED": "REFUSED",
}


class LedgerActivities:
    """Writes transitions; retried writes are harmless (events are keyed)."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    @activity.defn(name=ActivityName.RECORD_TRANSITION)
    async def record_transition(self, inp: TransitionInput) -> None:
        """Move the projection and append the transition's events in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            # the projection's UPDATE locks the export's row, which serialises the seqs below
            if not await self._update_projection(conn, inp):
                raise RuntimeError(f"export {inp.export_id} has no projection row")
            if inp.broker_outcome is not None:
                await self._record_outcome(conn, inp)
            if inp.broker_side is not None:
                await self._record_side(conn, inp)
            if inp.waiting_for is not None or inp.clear_waiting:
                waiting = inp.waiting_for.model_dump(mode="json") if inp.waiting_for else None
                await destinations.save_waiting_for(conn, inp.export_id, waiting)
            await append_events(
                conn,
                inp.export_id,
                [NewEvent(e.type, e.dedupe_key, e.actor, e.data) for e in inp.events],
                inp.occurred_at,
            )

    @staticmethod
    async def _update_projection(conn: Connection, inp: TransitionInput) -> bool:
        found = await exports.update_projection(
            conn,
            inp.export_id,
            status=inp.status,
            approval=inp.approval,
            attention=inp.attention,
            clear_attention=inp.clear_attention,
            execution_requested=inp.execution_requested,
            at=inp.occurred_at,
            final=sorted(FINAL),
        )
        if found and inp.attention is not None and inp.attention.step == "send":
            # the send step failed for good: the submission shows it, not just the export
            await submissions.fail_prepared_submission(conn, inp.export_id, inp.occurred_at)
        return found

    @staticmethod
    async def _record_side(conn: Connection, inp: TransitionInput) -> None:
        """The broker loop's side on the export, and what it says of the submission."""
        side = inp.broker_side
        assert side is not None
        await exports.save_broker_side(conn, inp.export_id, side.model_dump(mode="json"))
        status = _SIDE_STATUS.get(side.outcome or "") or (
            "ACKNOWLEDGED" if side.acknowledged_at is not None else None
        )
        if status is None:
            return
        await submissions.record_outcome(
            conn,
            inp.export_id,
            status=status,
            entry_number=side.entry_number,
            broker_reference=side.broker_reference,
            reason=side.outcome_reason,
            at=inp.occurred_at,
        )
        state = _PACKAGE_STATE.get(status)
        if state is not None:
            await packages.set_export_package_state(conn, inp.export_id, state, inp.occurred_at)

    @staticmethod
    async def _record_outcome(conn: Connection, inp: TransitionInput) -> None:
        outcome = inp.broker_outcome
        assert outcome is not None
        await submissions.record_outcome(
            conn,
            inp.export_id,
            status=_SUBMISSION_STATUS[outcome.status],
            entry_number=outcome.entry_number,
            broker_reference=outcome.broker_reference,
            reason=outcome.reason,
            at=inp.occurred_at,
        )
        state = _PACKAGE_STATE.get(outcome.status)
        if state is not None:
            await packages.set_export_package_state(conn, inp.export_id, state, inp.occurred_at)
