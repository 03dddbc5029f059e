"""Operations on stuck exports (docs/fleet-control.md): the failure groups (any role), and retry
or cancel for a selection of exports (role admin), each export's outcome reported on its own."""

from fastapi import APIRouter

from api.deps import AdminWrite, AnyRoleCall
from api.idempotency import Sent
from api.openapi import error_responses
from api.schemas.fleet import CancelOperation, FailureGroups, OperationResult, RetryOperation
from services import operations

router = APIRouter(prefix="/api/operations", tags=["fleet"])


@router.get("/failures", response_model=FailureGroups, responses=error_responses(403))
async def list_failures(ctx: AnyRoleCall) -> FailureGroups:
    """Exports in ATTENTION_REQUIRED or waiting for a destination, grouped by destination and
    error class, largest group first."""
    return await operations.failures(ctx)


@router.post("/retry", response_model=OperationResult, responses=error_responses(403, 409))
async def retry_exports(body: RetryOperation, write: AdminWrite) -> Sent[OperationResult]:
    """Retry the selected exports (`exportIds` or a `group`); `dryRun` says what would be sent
    again and changes nothing."""
    return await write.with_lease(body, lambda ctx: operations.retry_exports(ctx, body))


@router.post("/cancel", response_model=OperationResult, responses=error_responses(403, 409))
async def cancel_exports(body: CancelOperation, write: AdminWrite) -> Sent[OperationResult]:
    """Cancel the selected exports (`exportIds` or a `group`)."""
    return await write.with_lease(body, lambda ctx: operations.cancel_exports(ctx, body))
