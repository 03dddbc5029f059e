"""The sandbox broker's behaviour: receive submissions, apply faults, call EntryGo back."""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sandbox.callbacks import CallbackSender, occurred_at
from sandbox.faults import Faults
from sandbox.payload import entry_type_hint, first_line_lacks_manufacturer_street, scenario_hint
from sandbox.references import SCENARIO_FILER_CODE, broker_reference, entry_number
from sandbox.scenarios import (
    INFO_DUE_S,
    Pause,
    Receipt,
    Send,
    Step,
    UnknownScenarioError,
    check_scenario,
    plan,
)
from sandbox.state import AmendmentRecord, BrokerState, CallbackRecord, Submission
from sandbox.submissions import (
    InvalidSubmissionError,
    SubmissionRequest,
    carries_reject_marker,
    checksum_problem,
    lineage_of,
    parse_submission,
    submission_id_hint,
)
from signing import DEFAULT_TOLERANCE_S, SignatureError, verify

logger = logging.getLogger(__name__)

DEFAULT_CALLBACK_DELAY_S = 0.05
MARKER_REJECT_REASON = "Invoice carries the SANDBOX-REJECT marker"

Answer = tuple[int, dict[str, Any]]


def _error(code: str, reason: str) -> dict[str, Any]:
    return {"error": code, "reason": reason}


@dataclass(frozen=True)
class _FollowUp:
    """What the broker decided at receipt time for the callbacks to come."""

    reject_reason: str | None
    silent: bool


class BrokerSandbox:
    """One sandbox broker: its secrets, faults, state and pending callbacks."""

    def __init__(
        self,
        secret: str,
        sender: CallbackSender,
        *,
        callback_delay_s: float = DEFAULT_CALLBACK_DELAY_S,
        clock: Callable[[], float] = time.time,
        tolerance_s: int = DEFAULT_TOLERANCE_S,
        faults: Faults | None = None,
        default_scenario: str | None = None,
    ) -> None:
        self._secret = secret
        # the scenario of submissions that name none, also after a reset (None: version 1)
        self.default_scenario = default_scenario
        self._sender = sender
        self._clock = clock
        # the W3C trace context each delivery carried (the newest few hundred), for tracing tests
        self.traceparents: deque[str] = deque(maxlen=500)
        self._tolerance_s = tolerance_s
        self.callback_delay_s = callback_delay_s
        self.faults = faults or Faults(scenario=default_scenario)
        self.state = BrokerState()
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(
        self, body: bytes, signature: str | None, idempotency_key: str | None
    ) -> Answer:
        """Answer one raw delivery of `POST /submissions`."""
        state = self.state
        state.raw_deliveries += 1
        hint = lineage_of(idempotency_key) if idempotency_key else submission_id_hint(body)
        if hint:
            state.deliveries_by_id[hint] += 1
        if self.faults.delay_s:
            await asyncio.sleep(self.faults.delay_s)
            state = self.state  # a reset while this delivery slept starts a fresh tally
        if self.faults.take_failure():
            state.unavailable += 1
            return 503, _error("BROKER_UNAVAILABLE", "sandbox fault injection")
        try:
            verify(self._secret, body, signature, int(self._clock()), self._tolerance_s)
        except SignatureError as exc:
            state.unauthorized += 1
            return 401, _error("INVALID_SIGNATURE", exc.reason)
        try:
            request = parse_submission(body, idempotency_key)
        except InvalidSubmissionError as exc:
            state.invalid += 1
            return 400, _error("INVALID_REQUEST", str(exc))
        # No await from here on: the lookup and the insert must not interleave with a
        # concurrent delivery of the same submission.
        existing = state.submissions.get(request.submission_id)
        if request.amendment:
            return self._receive_amendment(state, existing, request)
        if existing is not None:
            return 200, self._receipt(existing, duplicate=True)
        try:
            scenario = self._scenario_of(request)
        except UnknownScenarioError as exc:
            state.invalid += 1
            return 400, _error("INVALID_REQUEST", str(exc))
        problem = self._document_problem(request)
        if problem is not None:
            state.refused += 1
            return 422, _error("DOCUMENT_REJECTED", problem)
        submission = Submission(
            request, broker_reference(request.submission_id), received_at=self._clock()
        )
        submission.scenario = scenario
        state.submissions[request.submission_id] = submission
        if scenario is not None:
            self._start_flow(submission, scenario, request)
            return 202, self._receipt(submission, duplicate=False)
        reject_reason: str | None = None
        if carries_reject_marker(request):
            reject_reason = MARKER_REJECT_REASON
        elif self.faults.reject == "async":
            reject_reason = self.faults.reject_reason
        self._spawn(self._follow_up(submission, _FollowUp(reject_reason, self.faults.silent)))
        return 202, self._receipt(submission, duplicate=False)

    def _scenario_of(self, request: SubmissionRequest) -> str | None:
        """The first order's `metadata.sandboxScenario`, else the broker's default scenario."""
        named = scenario_hint(request)
        return check_scenario(named) if named is not None else self.faults.scenario

    def _document_problem(self, request: SubmissionRequest) -> str | None:
        problem = checksum_problem(request)
        if problem is None and self.faults.reject == "sync":
            problem = self.faults.reject_reason
        return problem

    def _receive_amendment(
        self, state: BrokerState, existing: Submission | None, request: SubmissionRequest
    ) -> Answer:
        """Amendment `n` of a known submission: deduplicated, gapless, one lineage."""
        number = request.amendment
        if existing is None:
            state.amendments_unknown += 1
            return 404, _error(
                "SUBMISSION_NOT_FOUND", f"no submission {request.submission_id} to amend"
            )
        seen = existing.amendment(number)
        if seen is not None:
            seen.deliveries += 1
            return 200, self._receipt(existing, duplicate=True, amendment=number)
        if number != existing.last_amendment + 1:
            state.amendments_refused += 1
            existing.amendments_refused += 1
            expected = existing.last_amendment + 1
            return 409, _error(
                "AMENDMENT_OUT_OF_ORDER", f"amendment {number} received, {expected} expected"
            )
        problem = self._document_problem(request)
        if problem is not None:
            state.refused += 1
            return 422, _error("DOCUMENT_REJECTED", problem)
        existing.amendments.append(
            AmendmentRecord(number, request.idempotency_key, request.amends, self._clock())
        )
        state.amendments_received += 1
        if existing.scenario is not None:
            self._start_flow(existing, existing.scenario, request)
        return 202, self._receipt(existing, duplicate=False, amendment=number)

    def _start_flow(
        self, submission: Submission, scenario: str, request: SubmissionRequest
    ) -> None:
        """Plan the scenario's callbacks for this delivery and send them after earlier ones.

        The `silent` fault drops the delivery's callbacks without using sequence numbers, so
        what is sent afterwards stays gapless.
        """
        if self.faults.silent:
            return
        now = self._clock()
        receipt = Receipt(
            amendment=request.amendment,
            broker_reference=submission.broker_reference,
            entry_number=entry_number(request.submission_id, SCENARIO_FILER_CODE),
            entry_type=entry_type_hint(request),
            lacks_manufacturer_street=first_line_lacks_manufacturer_street(request),
            next_request=submission.requests + 1,
            hold_s=self.faults.hold_s,
            due_by=occurred_at(lambda: now + INFO_DUE_S),
        )
        steps, submission.next_sequence = plan(scenario, receipt, submission.next_sequence)
        submission.requests += sum(
            1 for step in steps if isinstance(step, Send) and step.type == "INFO_REQUESTED"
        )
        if not steps:
            return
        previous = submission.flow
        submission.flow = self._spawn(self._run_flow(submission, steps, previous))

    @staticmethod
    def _receipt(submission: Submission, *, duplicate: bool, amendment: int = 0) -> dict[str, Any]:
        receipt: dict[str, Any] = {
            "submissionId": submission.request.submission_id,
            "brokerReference": submission.broker_reference,
            "status": "RECEIVED",
            "duplicate": duplicate,
        }
        if amendment:
            receipt["amendment"] = amendment
        return receipt

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("sandbox broker callback task failed", exc_info=task.exception())

    async def _follow_up(self, submission: Submission, plan: _FollowUp) -> None:
        if plan.silent:
            return
        state = self.state
        await asyncio.sleep(self.callback_delay_s)
        await self._call_back(state, submission, "ACKNOWLEDGED", {})
        await asyncio.sleep(self.callback_delay_s)
        if plan.reject_reason is not None:
            submission.reason = plan.reject_reason
            state.rejected += 1
            await self._call_back(state, submission, "REJECTED", {"reason": plan.reject_reason})
        else:
            submission.entry_number = entry_number(submission.request.submission_id)
            state.accepted += 1
            extra = {"entryNumber": submission.entry_number}
            await self._call_back(state, submission, "ACCEPTED", extra)

    async def _run_flow(
        self, submission: Submission, steps: list[Step], previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait({previous})
        state = self.state
        # A sequence sent twice is the same message again, byte for byte.
        bodies: dict[int, dict[str, Any]] = {}
        for step in steps:
            if isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
                continue
            await asyncio.sleep(self.callback_delay_s)
            self._note(state, submission, step)
            body = bodies.setdefault(
                step.sequence,
                {
                    "submissionId": submission.request.submission_id,
                    "sequence": step.sequence,
                    "type": step.type,
                    "occurredAt": occurred_at(self._clock),
                    **step.fields,
                },
            )
            record = CallbackRecord(step.type, sequence=step.sequence)
            await self._deliver(state, submission, body, record)

    @staticmethod
    def _note(state: BrokerState, submission: Submission, step: Send) -> None:
        """Bring the submission's view up to a callback (once per sequence number); its
        status is the type of the highest sequence sent so far."""
        if step.sequence in submission.sent_sequences:
            return
        if step.sequence > max(submission.sent_sequences, default=0):
            submission.status = step.type
        submission.sent_sequences.add(step.sequence)
        if step.type == "ENTRY_FILED":
            submission.entry_number = step.fields["entryNumber"]
        elif step.type == "RELEASED":
            state.accepted += 1
        elif step.type == "REJECTED":
            submission.reason = step.fields["reason"]
            state.rejected += 1

    async def _call_back(
        self, state: BrokerState, submission: Submission, status: str, extra: dict[str, Any]
    ) -> None:
        submission.status = status
        body = {
            "submissionId": submission.request.submission_id,
            "status": status,
            "brokerReference": submission.broker_reference,
            **extra,
            "occurredAt": occurred_at(self._clock),
        }
        await self._deliver(state, submission, body, CallbackRecord(status))

    async def _deliver(
        self,
        state: BrokerState,
        submission: Submission,
        body: dict[str, Any],
        record: CallbackRecord,
    ) -> None:
        status = record.status
        submission.callbacks.append(record)
        delivered = await self._sender.deliver(submission.request.callback_url, body, record)
        state.callback_attempts += record.attempts
        if delivered:
            state.callbacks_sent += 1
        else:
            state.callbacks_failed += 1
            logger.warning(
                "sandbox broker gave up on %s callback for %s: %s",
                status,
                submission.request.submission_id,
                record.last_error,
            )

    @property
    def pending_callbacks(self) -> int:
        """Submissions whose callbacks are still being sent."""
        return len(self._tasks)

    def stats(self) -> dict[str, Any]:
        """The `GET /_sandbox/stats` body."""
        return {
            **self.state.stats(),
            "pendingCallbacks": self.pending_callbacks,
            "traceparents": list(self.traceparents),
            "faults": self.faults.snapshot(),
        }

    def reset(self) -> None:
        """Forget every submission and fault; pending callbacks are cancelled."""
        for task in self._tasks:
            task.cancel()
        self.state = BrokerState()
        self.faults = Faults(clock=self.faults.clock, scenario=self.default_scenario)

    async def aclose(self) -> None:
        """Cancel pending callbacks and close the HTTP client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._sender.aclose()
