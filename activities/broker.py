"""Broker submission: prepared once per export, sent through the broker's transport."""

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import transports
from activities.destinations import DestinationGate, Target, send_failure
from activities.errors import invalid_configuration
from activities.heartbeat import heartbeating
from config.settings import Settings
from domain.activities import ActivityName
from domain.destinations import DestinationKind
from domain.failures import ActivityFailure
from observability.metrics import BROKER_SUBMISSIONS
from store import packages, submissions
from store.db import Pool
from store.execution import order_summaries, submission_of
from store.exports import NewEvent, append_events, get_export_by_id, hold_export, lock_export
from store.records import (
    ArtifactFile,
    BrokerRecord,
    ExportRecord,
    PackageRecord,
    SubmissionRecord,
)
from store.reference import get_broker_by_id
from workflows.messages import StepInput, SubmissionResult

DONE = {"SENT", "ACKNOWLEDGED", "ACCEPTED", "REJECTED"}
ALL_ARTIFACTS = ["cci_human_readable", "cci_csv", "cci_json", "cci_pdf", "packing_list", "manifest"]


class BrokerActivities:
    """Submission steps of execution."""

    def __init__(self, pool: Pool, settings: Settings, http: httpx.AsyncClient) -> None:
        self.pool = pool
        self.settings = settings
        self.http = http
        # contradicting SMTP settings stop the worker here, at start, not at the first email
        self.smtp = transports.SmtpRelay.from_settings(settings)
        self.gate = DestinationGate(pool, settings)

    @staticmethod
    def target(export: ExportRecord, broker: BrokerRecord) -> Target:
        """The destination of a send of the export to its broker."""
        return Target(export.account_id, DestinationKind.BROKER, broker.id, export.id)

    @activity.defn(name=ActivityName.PREPARE_BROKER_SUBMISSION)
    async def prepare_broker_submission(self, inp: StepInput) -> SubmissionResult:
        """Create the export's submission record (once)."""
        async with heartbeating():
            return await self._prepare_broker_submission(inp)

    async def _prepare_broker_submission(self, inp: StepInput) -> SubmissionResult:
        async with self.pool.acquire() as conn, conn.transaction():
            export = await lock_export(conn, inp.export_id)
            assert export is not None
            broker = await get_broker_by_id(conn, export.broker_id)
            assert broker is not None  # an export names a broker of its account
            package = await packages.find_package(conn, inp.export_id, inp.plan_hash)
            assert package is not None
            row = await submissions.prepare_submission(conn, export, broker, package)
            await append_events(
                conn,
                inp.export_id,
                [
                    NewEvent(
                        "BROKER_SUBMISSION_PREPARED",
                        f"{row.id}:PREPARED",
                        "system",
                        {"submissionId": row.id, "submission_type": row.submission_type},
                    )
                ],
                row.created_at,
            )
            return SubmissionResult(submission_id=row.id, status=row.status)

    @activity.defn(name=ActivityName.SEND_BROKER_SUBMISSION)
    async def send_broker_submission(self, inp: StepInput) -> SubmissionResult:
        """Send the submission; the broker sees the submission id as the idempotency key."""
        async with heartbeating():
            return await self._send_broker_submission(inp)

    async def _send_broker_submission(self, inp: StepInput) -> SubmissionResult:
        async with self.pool.acquire() as conn:
            export = await get_export_by_id(conn, inp.export_id)
            sub = await submission_of(conn, inp.export_id)
            assert export is not None
            assert sub is not None
            if sub.status in DONE and sub.sent_at is not None:
                return SubmissionResult(
                    submission_id=sub.id,
                    status=sub.status,
                    broker_reference=sub.broker_reference,
                )
            package = await packages.get_package(conn, sub.customs_package_id)
            assert package is not None  # a prepared submission names its package
            if sub.status in DONE:
                # the broker answered before this send was recorded (a worker died between the
                # delivery and its record): it has the submission; record the send, once
                await self._sent(inp.export_id, sub, package.id, None, sub.broker_reference)
                return SubmissionResult(
                    submission_id=sub.id, status=sub.status, broker_reference=sub.broker_reference
                )
            broker = await get_broker_by_id(conn, sub.broker_id)
            assert broker is not None  # a submission names its broker
            # a retry after the broker's address was fixed sends to the address as it is now
            sub = await submissions.readdress_submission(conn, sub.id, broker)
            artifacts = await packages.artifact_contents(conn, package.id, ALL_ARTIFACTS)
        try:
            async with self.gate.sending(self.target(export, broker)):
                async with self.pool.acquire() as conn:
                    await submissions.count_submission_attempt(conn, sub.id)
                message_id, reference = await self._deliver(export, broker, sub, package, artifacts)
        except ApplicationError as err:
            failed = send_failure(err)
            if failed is None:
                raise  # held by the destination: nothing was sent
            BROKER_SUBMISSIONS.labels(
                transport=sub.submission_type, outcome=_outcome(failed.type)
            ).inc()
            async with self.pool.acquire() as conn:
                await submissions.record_submission_error(
                    conn, sub.id, failed.message, final=failed.non_retryable and failed is err
                )
            raise
        BROKER_SUBMISSIONS.labels(transport=sub.submission_type, outcome="accepted").inc()
        await self._sent(inp.export_id, sub, package.id, message_id, reference)
        return SubmissionResult(submission_id=sub.id, status="SENT", broker_reference=reference)

    async def _sent(
        self,
        export_id: str,
        sub: SubmissionRecord,
        package_id: str,
        message_id: str | None,
        reference: str | None,
    ) -> None:
        """The submission went out: mark it sent, the package submitted, and append the events
        (keyed by the submission, so recording it twice writes them once)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await hold_export(conn, export_id)
            sent = await submissions.mark_sent(conn, sub.id, message_id, reference)
            assert sent.sent_at is not None  # marking it sent stamps the time
            await packages.set_package_state(conn, package_id, "SUBMITTED")
            data = {
                "submissionId": sub.id,
                "submission_type": sub.submission_type,
                "brokerReference": reference,
            }
            await append_events(
                conn,
                export_id,
                [
                    NewEvent("BROKER_SUBMISSION_SENT", f"{sub.id}:SENT", "system", data),
                    NewEvent(
                        "BROKER_NOTIFIED",
                        f"{sub.id}:NOTIFIED",
                        "system",
                        {"brokerId": sub.broker_id},
                    ),
                ],
                sent.sent_at,
            )

    async def _deliver(
        self,
        export: ExportRecord,
        broker: BrokerRecord,
        sub: SubmissionRecord,
        package: PackageRecord,
        artifacts: dict[str, ArtifactFile],
        amendment: transports.Amendment | None = None,
    ) -> tuple[str | None, str | None]:
        """Send the submission (or, with `amendment`, that amendment of it) once."""
        s = self.settings
        key = sub.id if amendment is None else f"{sub.id}:A{amendment.number}"
        if sub.submission_type == "email":
            msg = transports.broker_email(sub, package, artifacts, s.smtp_from, amendment)
            await transports.send_email(msg, self.smtp)
            return transports.message_id_for(key), None
        if not broker.webhook_secret:
            raise invalid_configuration("broker has no webhook secret")
        assert sub.recipient_url is not None  # a webhook submission is addressed to the URL
        await transports.check_outbound(sub.recipient_url, s.allow_private_urls)
        callback = f"{s.public_base_url.rstrip('/')}/api/brokers/{broker.id}/callbacks"
        async with self.pool.acquire() as conn:
            orders = await order_summaries(conn, export)
        payload = transports.webhook_payload(
            sub, export, package, artifacts, callback, orders, amendment
        )
        response = await transports.post_signed(
            self.http, sub.recipient_url, broker.webhook_secret, payload, key
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        reference = answer.get("brokerReference") if isinstance(answer, dict) else None
        return None, str(reference) if reference is not None else None


def _outcome(failure_type: str | None) -> str:
    """The metric's outcome for a failed send: refused by the broker, an address we may not or
    cannot reach, or failed (worth retrying, or our configuration)."""
    if failure_type == ActivityFailure.BROKER_REJECTED:
        return "refused"
    if failure_type == ActivityFailure.INVALID_ADDRESS:
        return "invalid_address"
    return "failed"
