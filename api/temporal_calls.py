"""Calls from the API into the export workflow: always bounded, errors in the contract's terms."""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

from temporalio.client import (
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
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


def _from_update_failure(exc: WorkflowUpdateFailedError) -> Exception:
    cause: Any = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in _CONFLICT_CODES:
        return ApiError(409, cause.type, cause.message)
    return exc
