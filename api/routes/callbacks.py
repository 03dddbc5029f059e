"""Broker callbacks (CONTRACT §11): signed, not authenticated by key; duplicates are ignored."""

import json
from typing import TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from api.deps import RuntimeDep
from api.errors import ApiError, issues_from_pydantic, validation_error
from api.openapi import error_responses
from api.schemas.exports import BrokerCallback, CallbackReceipt
from services.exports import broker_requests, execution
from services.models.broker import BrokerCallbackV2, CallbackAnswer
from signing import SIGNATURE_HEADER

router = APIRouter(prefix="/api/brokers", tags=["broker callbacks"])
M = TypeVar("M", bound=BaseModel)


@router.post(
    "/{broker_id}/callbacks",
    response_model=CallbackReceipt | CallbackAnswer,
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
) -> CallbackReceipt | CallbackAnswer:
    """A broker reports on a submission: ACKNOWLEDGED, ACCEPTED or REJECTED (version 1), or a
    sequenced callback of version 2 (docs/broker-protocol.md)."""
    raw = await request.body()
    signature = request.headers.get(SIGNATURE_HEADER)
    if _is_version_2(raw):
        body = _validated(BrokerCallbackV2, raw)
        return await broker_requests.callback(rt, broker_id, raw, signature, body)
    return await execution.broker_callback(rt, broker_id, raw, signature, _parse)


def _is_version_2(raw: bytes) -> bool:
    """A version 2 body carries `sequence` (version 1 bodies never do)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return False
    return isinstance(value, dict) and "sequence" in value


def _validated(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(
            issues_from_pydantic([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        ) from exc


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
