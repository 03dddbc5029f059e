"""Destinations (docs/fleet-control.md): every broker, warehouse and webhook endpoint a side
effect goes to, its breaker, and the operator's pause and resume (role admin)."""

from fastapi import APIRouter

from api.deps import AdminWrite, AnyRoleCall
from api.idempotency import Sent
from api.openapi import error_responses
from api.schemas.fleet import (
    DestinationDetail,
    DestinationList,
    DestinationView,
    PauseRequest,
    ResumeRequest,
)
from domain.destinations import DestinationKind
from services import destinations
from services.destinations import DestinationRef

router = APIRouter(prefix="/api", tags=["fleet"])
WRITE = error_responses(403, 409)


@router.get("/destinations", response_model=DestinationList, responses=error_responses(403))
async def list_destinations(ctx: AnyRoleCall) -> DestinationList:
    """Every destination of the account with its breaker, recent failures and waiting exports."""
    return await destinations.list_destinations(ctx)


@router.get(
    "/destinations/{destination_id}",
    response_model=DestinationDetail,
    responses=error_responses(403),
)
async def get_destination(destination_id: str, ctx: AnyRoleCall) -> DestinationDetail:
    """One destination (`broker:<id>`, `warehouse:<id>`, `webhook:<id>`) with its recent events."""
    return await destinations.get_destination(ctx, destination_id)


async def _pause(
    kind: DestinationKind, ref_id: str, body: PauseRequest, write: AdminWrite
) -> Sent[DestinationView]:
    ref = DestinationRef(kind, ref_id)
    return await write.in_transaction(
        body, lambda ctx: destinations.pause_destination(ctx, ref, body)
    )


async def _resume(
    kind: DestinationKind, ref_id: str, body: ResumeRequest | None, write: AdminWrite
) -> Sent[DestinationView]:
    ref = DestinationRef(kind, ref_id)
    return await write.in_transaction(
        body or ResumeRequest(), lambda ctx: destinations.resume_destination(ctx, ref)
    )


@router.post("/brokers/{broker_id}/pause", response_model=DestinationView, responses=WRITE)
async def pause_broker(
    broker_id: str, body: PauseRequest, write: AdminWrite
) -> Sent[DestinationView]:
    """Hold every send to the broker (submissions, amendments, resends), with a reason."""
    return await _pause(DestinationKind.BROKER, broker_id, body, write)


@router.post("/brokers/{broker_id}/resume", response_model=DestinationView, responses=WRITE)
async def resume_broker(
    broker_id: str, write: AdminWrite, body: ResumeRequest | None = None
) -> Sent[DestinationView]:
    """Let sends to the broker go again; the exports waiting for it are released."""
    return await _resume(DestinationKind.BROKER, broker_id, body, write)


@router.post("/warehouses/{warehouse_id}/pause", response_model=DestinationView, responses=WRITE)
async def pause_warehouse(
    warehouse_id: str, body: PauseRequest, write: AdminWrite
) -> Sent[DestinationView]:
    """Hold every notification to the warehouse, with a reason."""
    return await _pause(DestinationKind.WAREHOUSE, warehouse_id, body, write)


@router.post("/warehouses/{warehouse_id}/resume", response_model=DestinationView, responses=WRITE)
async def resume_warehouse(
    warehouse_id: str, write: AdminWrite, body: ResumeRequest | None = None
) -> Sent[DestinationView]:
    """Let notifications to the warehouse go again; the exports waiting for it are released."""
    return await _resume(DestinationKind.WAREHOUSE, warehouse_id, body, write)


@router.post(
    "/webhook-endpoints/{endpoint_id}/pause", response_model=DestinationView, responses=WRITE
)
async def pause_webhook_endpoint(
    endpoint_id: str, body: PauseRequest, write: AdminWrite
) -> Sent[DestinationView]:
    """Hold every delivery to the webhook endpoint, with a reason."""
    return await _pause(DestinationKind.WEBHOOK, endpoint_id, body, write)


@router.post(
    "/webhook-endpoints/{endpoint_id}/resume", response_model=DestinationView, responses=WRITE
)
async def resume_webhook_endpoint(
    endpoint_id: str, write: AdminWrite, body: ResumeRequest | None = None
) -> Sent[DestinationView]:
    """Let deliveries to the webhook endpoint go again."""
    return await _resume(DestinationKind.WEBHOOK, endpoint_id, body, write)
