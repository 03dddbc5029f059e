"""Broker callbacks (CONTRACT §11): signed, not authenticated by key; duplicates are ignored."""

import time
from contextlib import suppress

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from api.deps import PoolDep, SettingsDep, TemporalDep
from api.errors import ApiError, issues_from_pydantic, not_found, validation_error
from api.openapi import error_responses
from api.schemas.exports import BrokerCallback
from api.temporal_calls import WorkflowClosed, bounded
from signing import SIGNATURE_HEADER, SignatureError, verify
from workflows.export import ExportWorkflow
from workflows.messages import BrokerOutcome

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
    broker_id: str, request: Request, pool: PoolDep, temporal: TemporalDep, settings: SettingsDep
) -> CallbackReceipt:
    """A broker reports ACKNOWLEDGED, ACCEPTED or REJECTED for a submission."""
    raw = await request.body()
    async with pool.acquire() as conn:
        broker = await conn.fetchrow("SELECT * FROM brokers WHERE id = $1", broker_id)
    secret = broker["webhook_secret"] if broker is not None else None
    try:
        if secret is None:
            raise SignatureError("mismatch", "the broker has no webhook secret")
        verify(secret, raw, request.headers.get(SIGNATURE_HEADER), int(time.time()))
    except SignatureError as exc:
        raise ApiError(
            401,
            "INVALID_SIGNATURE",
            "Callback signature missing, wrong or too old.",
            details={"reason": exc.reason},
        ) from exc
    try:
        body = BrokerCallback.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ApiError(400, "INVALID_REQUEST", "Request body must be valid JSON.") from exc
        raise validation_error(
            issues_from_pydantic([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        ) from exc
    async with pool.acquire() as conn:
        sub = await conn.fetchrow(
            "SELECT * FROM broker_submissions WHERE id = $1 AND broker_id = $2",
            body.submissionId,
            broker_id,
        )
    if sub is None:
        raise not_found("brokerSubmission")
    outcome = BrokerOutcome(
        status=body.status,
        entryNumber=body.entryNumber,
        brokerReference=body.brokerReference,
        reason=body.reason,
        occurredAt=body.occurredAt,
        actor=f"broker:{broker_id}",
    )
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, f"export-{sub['export_id']}")
    # a closed export is final already: a late duplicate is accepted and ignored
    with suppress(WorkflowClosed):
        await bounded(
            handle.signal(ExportWorkflow.broker_outcome, outcome),
            settings.temporal_call_timeout_seconds,
        )
    return CallbackReceipt(received=True, submissionId=body.submissionId, status=body.status)
