"""Broker callbacks (CONTRACT §11): signed, not authenticated by key; duplicates are ignored."""

from fastapi import APIRouter, Request
from pydantic import ValidationError

from api.deps import RuntimeDep
from api.errors import ApiError, issues_from_pydantic, validation_error
from api.openapi import error_responses
from api.schemas.exports import BrokerCallback, CallbackReceipt
from services.exports import execution
from signing import SIGNATURE_HEADER

router = APIRouter(prefix="/api/brokers", tags=["broker callbacks"])


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
    return await execution.broker_callback(
        rt, broker_id, await request.body(), request.headers.get(SIGNATURE_HEADER), _parse
    )


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
        entry_number=body.entry_number,
        broker_reference=body.broker_reference,
        reason=body.reason,
        occurred_at=body.occurred_at,
    )
    return body.submission_id, outcome
