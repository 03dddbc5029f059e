"""Calls from the API into the export workflow: always bounded, errors in the contract's terms."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, service_unavailable

T = TypeVar("T")

_CONFLICT_CODES = {"EXPORT_BLOCKED", "INVALID_EXPORT_STATE", "PLAN_HASH_MISMATCH"}


class WorkflowClosed(Exception):
    """The export's workflow has finished; the message no longer applies."""


async def bounded(call: Awaitable[T], seconds: float) -> T:
    """Await a Temporal call for at most `seconds`; translate what can go wrong."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise service_unavailable("workflow engine") from exc
    except WorkflowUpdateFailedError as exc:
        raise _from_update_failure(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowClosed from exc
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise service_unavailable("workflow engine") from exc
        raise


async def run_update(
    handle: Any,
    update: Any,
    arg: Any,
    *,
    update_id: str | None,
    accept_within: float,
    result_within: float,
) -> Any:
    """Send an update: it must be accepted within `accept_within` (else 503); its result is
    awaited up to `result_within` more, then None (the update carries on in the workflow)."""
    accepted = await bounded(
        handle.start_update(update, arg, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED),
        accept_within,
    )
    try:
        async with asyncio.timeout(result_within):
            return await accepted.result()
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        return None
    except WorkflowUpdateFailedError as exc:
        raise _from_update_failure(exc) from exc


def _from_update_failure(exc: WorkflowUpdateFailedError) -> Exception:
    cause: Any = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in _CONFLICT_CODES:
        return ApiError(409, cause.type, cause.message)
    # the update's work failed (e.g. planning could not reach the database): a dependency is down
    return service_unavailable("workflow engine")
