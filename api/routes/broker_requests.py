"""The broker's requests of an export and the answers to them (docs/broker-protocol.md)."""

from fastapi import APIRouter

from api.deps import AnyRoleCall, IntegrationWrite, ReviewerWrite
from api.idempotency import Sent
from api.openapi import error_responses
from services.exports import broker_requests
from services.models.broker import (
    AnswerRequest,
    AnswerView,
    BrokerMessageRequest,
    BrokerRequests,
    RecordedView,
)

router = APIRouter(prefix="/api/exports", tags=["broker requests"])


@router.get(
    "/{export_id}/broker-requests", response_model=BrokerRequests, responses=error_responses(403)
)
async def list_broker_requests(export_id: str, ctx: AnyRoleCall) -> BrokerRequests:
    """The broker's information requests and correctable rejections, with their answers."""
    return await broker_requests.list_requests(ctx, export_id)


@router.post(
    "/{export_id}/broker-requests/{request_id}/answer",
    response_model=AnswerView,
    responses=error_responses(403, 409),
)
async def answer_broker_request(
    export_id: str, request_id: str, body: AnswerRequest, write: IntegrationWrite
) -> Sent[AnswerView]:
    """Answer an open request (correct the data through sync first): the export is re-planned
    from current data; the amendment goes out, or the new plan waits for review first."""
    return await write.with_lease(
        body, lambda ctx: broker_requests.answer(ctx, export_id, request_id, body)
    )


@router.post(
    "/{export_id}/broker-messages",
    response_model=RecordedView,
    responses=error_responses(403, 409),
)
async def record_broker_message(
    export_id: str, body: BrokerMessageRequest, write: ReviewerWrite
) -> Sent[RecordedView]:
    """Record what a broker that cannot call back (an email broker) said: a request, the entry,
    a hold, the release… (the fields of a protocol 2 callback; the next sequence is taken)."""
    return await write.with_lease(
        body, lambda ctx: broker_requests.record_message(ctx, export_id, body)
    )
