"""Broker callbacks (CONTRACT §11): signed, not authenticated by key; duplicates are ignored."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from api.deps import RuntimeDep
from api.errors import ApiError, issues_from_pydantic, validation_error
from api.openapi import error_responses
from api.schemas.exports import BrokerCallback
from services.exports import execution
from signing import SIGNATURE_HEADER

router = APIRouter(prefix="/api/brokers", tags=["broker callbacks"])


class CallbackReceipt(BaseModel):
    """The callback was taken."""

    received: bool
    submissionId: str
    status: str


@router.post(
    "/{broker_id}/callbacks",
    response_model=CallbackReceipt,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": BrokerCallback.model_json_schema()}},
            "required": True,
        }
    },
    responses=error_responses(409),
)
async def receive_broker_callback(
    broker_id: str, request: Request, rt: RuntimeDep
) -> CallbackReceipt:
    """A broker reports ACKNOWLEDGED, ACCEPTED or REJECTED for a submission."""
    submission_id, status = await execution.broker_callback(
        rt, broker_id, await request.body(), request.headers.get(SIGNATURE_HEADER), _parse
    )
    return CallbackReceipt(received=True, submissionId=submission_id, status=status)


def _parse(raw: bytes) -> tuple[str, execution.Outcome]:
    """The verified body, validated as the contract's callback (400 otherwise)."""
    try:
        body = BrokerCallback.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "INVALID_REQUEST", "Request body must be valid JSON.") from exc
        raise validation_error(
            issues_from_pydantic([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        ) from exc
    outcome = execution.Outcome(
        status=body.status,
        entry_number=body.entryNumber,
        broker_reference=body.brokerReference,
        reason=body.reason,
        occurred_at=body.occurredAt,
    )
    return body.submissionId, outcome
