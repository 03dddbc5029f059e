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
from sandbox.references import broker_reference, entry_number
from sandbox.state import BrokerState, CallbackRecord, Submission
from sandbox.submissions import (
    InvalidSubmissionError,
    carries_reject_marker,
    checksum_problem,
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
    ) -> None:
        self._secret = secret
        self._sender = sender
        self._clock = clock
        # the W3C trace context each delivery carried (the newest few hundred), for tracing tests
        self.traceparents: deque[str] = deque(maxlen=500)
        self._tolerance_s = tolerance_s
        self.callback_delay_s = callback_delay_s
        self.faults = faults or Faults()
        self.state = BrokerState()
        self._tasks: set[asyncio.Task[None]] = set()

    async def receive(
        self, body: bytes, signature: str | None, idempotency_key: str | None
    ) -> Answer:
        """Answer one raw delivery of `POST /submissions`."""
        state = self.state
        state.raw_deliveries += 1
        hint = idempotency_key or submission_id_hint(body)
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
        if existing is not None:
            return 200, self._receipt(existing, duplicate=True)
        problem = checksum_problem(request)
        if problem is None and self.faults.reject == "sync":
            problem = self.faults.reject_reason
        if problem is not None:
            state.refused += 1
            return 422, _error("DOCUMENT_REJECTED", problem)
        submission = Submission(request, broker_reference(request.submission_id))
        state.submissions[request.submission_id] = submission
        reject_reason: str | None = None
        if carries_reject_marker(request):
            reject_reason = MARKER_REJECT_REASON
        elif self.faults.reject == "async":
            reject_reason = self.faults.reject_reason
        self._spawn(self._follow_up(submission, _FollowUp(reject_reason, self.faults.silent)))
        return 202, self._receipt(submission, duplicate=False)

    @staticmethod
    def _receipt(submission: Submission, *, duplicate: bool) -> dict[str, Any]:
        return {
            "submissionId": submission.request.submission_id,
            "brokerReference": submission.broker_reference,
            "status": "RECEIVED",
            "duplicate": duplicate,
        }

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

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
        record = CallbackRecord(status)
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
        self.faults = Faults(clock=self.faults.clock)

    async def aclose(self) -> None:
        """Cancel pending callbacks and close the HTTP client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._sender.aclose()
