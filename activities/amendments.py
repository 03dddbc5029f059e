"""The broker loop's side effects: the broker's terms, an amendment of the submission (the
package of a new plan, numbered, same lineage) and a resend when the broker stays silent."""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import transports
from activities.broker import ALL_ARTIFACTS, BrokerActivities
from activities.destinations import send_failure
from activities.heartbeat import heartbeating
from domain.activities import ActivityName
from store import amendments, packages
from store.execution import submission_of
from store.exports import NewEvent, append_events, get_export_by_id, hold_export, lock_export
from store.reference import get_broker_by_id
from workflows.broker_messages import AmendmentInput, BrokerTerms, ResendInput
from workflows.messages import SubmissionResult


class AmendmentActivities(BrokerActivities):
    """Amendments and resends, through the same delivery as the first send."""

    @activity.defn(name=ActivityName.LOAD_BROKER_TERMS)
    async def load_broker_terms(self, export_id: str) -> BrokerTerms:
        """Whether the export's broker reports release, and its deadlines."""
        async with self.pool.acquire() as conn:
            export = await get_export_by_id(conn, export_id)
            assert export is not None
            reports_release, sla = await amendments.broker_terms(conn, export.broker_id)
        terms = BrokerTerms(reports_release=reports_release)
        if sla:
            terms = terms.model_copy(
                update={
                    "acknowledge_within_seconds": float(sla["acknowledgeWithinSeconds"]),
                    "decide_within_seconds": float(sla["decideWithinSeconds"]),
                }
            )
        return terms

    @activity.defn(name=ActivityName.SEND_BROKER_AMENDMENT)
    async def send_broker_amendment(self, inp: AmendmentInput) -> SubmissionResult:
        """Send amendment `number`: the package of the new plan, under `<submissionId>:A<n>`."""
        async with heartbeating():
            return await self._send_amendment(inp)

    async def _send_amendment(self, inp: AmendmentInput) -> SubmissionResult:
        async with self.pool.acquire() as conn, conn.transaction():
            export = await lock_export(conn, inp.export_id)
            sub = await submission_of(conn, inp.export_id)
            package = await packages.find_package(conn, inp.export_id, inp.plan_hash)
            assert export is not None
            assert sub is not None
            assert package is not None
            row = await amendments.prepare_amendment(
                conn,
                submission_id=sub.id,
                number=inp.number,
                export_id=inp.export_id,
                package_id=package.id,
                plan_hash=inp.plan_hash,
                request_id=inp.request_id,
            )
            if row.status == "SENT":
                return SubmissionResult(submission_id=sub.id, status="SENT")
            broker = await get_broker_by_id(conn, sub.broker_id)
            assert broker is not None
            artifacts = await packages.artifact_contents(conn, package.id, ALL_ARTIFACTS)
        amendment = transports.Amendment(inp.number, inp.reason, inp.request_id)
        try:
            async with self.gate.sending(self.target(export, broker)):
                async with self.pool.acquire() as conn:
                    await amendments.count_amendment_attempt(conn, sub.id, inp.number)
                await self._deliver(export, broker, sub, package, artifacts, amendment)
        except ApplicationError as err:
            if err.non_retryable and send_failure(err) is err:
                # refused for good (not held by the destination, not a failure that opened it)
                async with self.pool.acquire() as conn:
                    await amendments.mark_amendment_sent(conn, sub.id, inp.number, err.message)
            raise
        async with self.pool.acquire() as conn, conn.transaction():
            await hold_export(conn, inp.export_id)
            sent = await amendments.mark_amendment_sent(conn, sub.id, inp.number)
            data = {
                "submissionId": sub.id,
                "amendment": inp.number,
                "planHash": inp.plan_hash,
                "customsPackageId": package.id,
                "requestId": inp.request_id,
                "reason": inp.reason,
            }
            event = NewEvent(
                "BROKER_AMENDMENT_SENT", f"{sub.id}:A{inp.number}:SENT", "system", data
            )
            assert sent.sent_at is not None
            await append_events(conn, inp.export_id, [event], sent.sent_at)
        return SubmissionResult(submission_id=sub.id, status="SENT")

    @activity.defn(name=ActivityName.RESEND_BROKER_SUBMISSION)
    async def resend_broker_submission(self, inp: ResendInput) -> SubmissionResult:
        """Send the submission (or amendment `amendment`) once more with its own idempotency
        key: a broker that has it already answers as for a duplicate."""
        async with heartbeating():
            async with self.pool.acquire() as conn:
                export = await get_export_by_id(conn, inp.export_id)
                sub = await submission_of(conn, inp.export_id)
                assert export is not None
                assert sub is not None
                broker = await get_broker_by_id(conn, sub.broker_id)
                assert broker is not None
                package_id = sub.customs_package_id
                amendment = None
                if inp.amendment > 0:
                    rows = {
                        a.number: a for a in await amendments.amendments_of(conn, sub.export_id)
                    }
                    row = rows[inp.amendment]
                    package_id = row.customs_package_id
                    amendment = transports.Amendment(row.number, "resent", row.request_id)
                package = await packages.get_package(conn, package_id)
                assert package is not None
                artifacts = await packages.artifact_contents(conn, package.id, ALL_ARTIFACTS)
            async with self.gate.sending(self.target(export, broker)):
                await self._deliver(export, broker, sub, package, artifacts, amendment)
            return SubmissionResult(submission_id=sub.id, status="SENT")
