"""A worker interceptor: every activity attempt is counted by outcome and logged in context.

Outcomes: `completed`; `failed` (will be retried); `non_retryable` (an ApplicationError that says
so: the export goes to ATTENTION_REQUIRED or its final state); `cancelled`.
"""

import asyncio
import logging
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from observability.logs import bound
from observability.metrics import ACTIVITY_ATTEMPTS

log = logging.getLogger("entrygo.activity")


def outcome_of(exc: BaseException) -> str:
    """The label of an attempt that raised `exc`."""
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    if isinstance(exc, ApplicationError) and exc.non_retryable:
        return "non_retryable"
    return "failed"


class _Attempts(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        first = input.args[0] if input.args else None
        with bound(
            workflow_id=info.workflow_id,
            export_id=getattr(first, "exportId", None) or getattr(first, "export_id", None),
            activity=info.activity_type,
        ):
            try:
                result = await self.next.execute_activity(input)
            except BaseException as exc:
                outcome = outcome_of(exc)
                ACTIVITY_ATTEMPTS.labels(info.activity_type, outcome).inc()
                log.warning(
                    "activity %s attempt %d %s: %s",
                    info.activity_type,
                    info.attempt,
                    outcome,
                    exc,
                    extra={"attempt": info.attempt, "outcome": outcome},
                )
                raise
            ACTIVITY_ATTEMPTS.labels(info.activity_type, "completed").inc()
            log.info(
                "activity %s attempt %d completed",
                info.activity_type,
                info.attempt,
                extra={"attempt": info.attempt, "outcome": "completed"},
            )
            return result


class ActivityMetrics(Interceptor):
    """Add to a worker's interceptors."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _Attempts(next)
