"""The services' Temporal client and calls: always bounded, failures as service errors."""

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from config.settings import Settings
from config.temporal import connect_temporal
from services.errors import Conflict, Unavailable

T = TypeVar("T")
R = TypeVar("R")

ENGINE = "workflow engine"
# the update validators' refusals, by the contract's errorCode
_CONFLICT_CODES = {"EXPORT_BLOCKED", "INVALID_EXPORT_STATE", "PLAN_HASH_MISMATCH"}


class WorkflowClosed(Exception):
    """The export's workflow has finished; the message no longer applies."""


class TemporalGate:
    """Holds one client per process; connects on first use, bounded by a timeout."""

    def __init__(self, settings: Settings, interceptors: Sequence[Any] = ()) -> None:
        self.interceptors = list(interceptors)
        self.settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connected client, or Unavailable."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    async with asyncio.timeout(self.settings.temporal_call_timeout_seconds):
                        self._client = await connect_temporal(
                            self.settings, interceptors=self.interceptors
                        )
                except Exception as exc:
                    raise Unavailable(ENGINE) from exc
        return self._client

    async def client_or_none(self, limit_s: float = 1.0) -> Client | None:
        """The client if it can be had quickly, else None (for reads that can do without)."""
        try:
            async with asyncio.timeout(limit_s):
                return await self.client()
        except Exception:
            return None

    async def healthy(self, limit_s: float = 2.0) -> bool:
        """True when the server answers its health check."""
        try:
            client = await self.client()
            async with asyncio.timeout(limit_s):
                return bool(await client.service_client.check_health())
        except Exception:
            return False


async def bounded(call: Awaitable[T], seconds: float) -> T:
    """Await a Temporal call for at most `seconds`; translate what can go wrong."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        raise Unavailable(ENGINE) from exc
    except WorkflowUpdateFailedError as exc:
        raise _from_update_failure(exc) from exc
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowClosed from exc
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            raise Unavailable(ENGINE) from exc
        raise


async def run_update(
    handle: Any,
    update: UpdateMethodMultiParam[..., R],
    arg: object,
    *,
    update_id: str | None,
    accept_within: float,
    result_within: float,
) -> R | None:
    """Send an update: it must be accepted within `accept_within` (else Unavailable); its result
    is awaited up to `result_within` more, then None (the update carries on in the workflow)."""
    accepted = await bounded(
        handle.start_update(update, arg, id=update_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED),
        accept_within,
    )
    try:
        async with asyncio.timeout(result_within):
            answer: R = await accepted.result()
            return answer
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        return None
    except WorkflowUpdateFailedError as exc:
        raise _from_update_failure(exc) from exc


def _from_update_failure(exc: WorkflowUpdateFailedError) -> Exception:
    cause: Any = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in _CONFLICT_CODES:
        return Conflict(cause.type, cause.message)
    # the update's work failed (e.g. planning could not reach the database): a dependency is down
    return Unavailable(ENGINE)
