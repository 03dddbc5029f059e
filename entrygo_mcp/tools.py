"""The tools an agent gets: the lifecycle's calls with the contract's inputs and bodies, and the
guard that keeps execution with plans a person does not have to look at first.

Input schemas come from the contract itself: the API's OpenAPI document (its request bodies and
query parameters, references resolved) is read once from the server the tools call. Results are
the contract's response bodies (a tool may lead its text with a plain note on what the body
means). No tool approves: approving stays with people.
"""

import base64
import binascii
import copy
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from entrygo_client import AsyncEntryGo, EntryGoError

Handler = Callable[[AsyncEntryGo, dict[str, Any]], Awaitable[Any]]
STATUSES = [
    "PLANNED",
    "AWAITING_APPROVAL",
    "EXECUTING",
    "EXECUTED",
    "COMPLETED",
    "BLOCKED",
    "REJECTED",
    "CANCELLED",
    "EXPIRED",
    "ATTENTION_REQUIRED",
    "BROKER_REJECTED",
    "BROKER_ACTION_REQUIRED",
    "CUSTOMS_HOLD",
    "CUSTOMS_REFUSED",
]
EXPORT_ID = {"type": "string", "minLength": 1, "maxLength": 100, "description": "the exportId"}
REQUEST_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "the broker request's requestId",
}
# what the text of an answer's outcome says first (docs/broker-protocol.md)
OUTCOME_NOTES = {
    "amendment_sent": "amendment_sent: the re-planned export went to the broker as amendment {n}.",
    "awaiting_review": "awaiting_review: the new plan is back in the review queue; nothing was "
    "sent to the broker. A person must approve it in the review console before the amendment "
    "goes out.",
    "blocked": "blocked: the new plan is BLOCKED and nothing was sent to the broker; fix the "
    "data through sync_products / sync_orders and answer again.",
    "attention_required": "attention_required: the amendment could not be sent; the export "
    "needs attention (inspect_export shows the failed step).",
    "in_progress": "in_progress: the answer is taken but not decided yet; follow it with "
    "inspect_export or wait_for_export.",
}


class ToolRefused(Exception):
    """A refusal with the contract's errorCode (the tool error's text starts with it)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class ToolSpec:
    """One tool: its name, what it does, where its input schema comes from, and its handler."""

    name: str
    description: str
    schema: Callable[[dict[str, Any]], dict[str, Any]]  # the OpenAPI document → input schema
    handler: Handler
    note: Callable[[Any], str | None] | None = None  # a plain line that leads the result's text


def _resolve(node: Any, components: dict[str, Any], depth: int = 0) -> Any:
    """Inline `$ref`s (the document's own components) so the schema stands alone."""
    if depth > 20:
        return {}
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = components.get(ref.rsplit("/", 1)[-1], {})
            return _resolve(copy.deepcopy(target), components, depth + 1)
        return {k: _resolve(v, components, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, components, depth + 1) for v in node]
    return node


def body_schema(path: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The request body schema of `POST path` in the document."""

    def read(document: dict[str, Any]) -> dict[str, Any]:
        operation = document["paths"][path]["post"]
        content = operation["requestBody"]["content"]["application/json"]["schema"]
        schema = _resolve(content, document.get("components", {}).get("schemas", {}))
        return dict(schema, type="object")

    return read


def query_schema(path: str, *, required: dict[str, Any] | None = None) -> Callable[..., Any]:
    """An object schema of `GET path`'s query parameters (plus `required` properties)."""

    def read(document: dict[str, Any]) -> dict[str, Any]:
        components = document.get("components", {}).get("schemas", {})
        properties: dict[str, Any] = dict(required or {})
        for parameter in document["paths"][path]["get"].get("parameters", []):
            if parameter.get("in") == "query":
                properties[parameter["name"]] = _resolve(parameter.get("schema", {}), components)
        return {
            "type": "object",
            "properties": properties,
            "required": list(required or {}),
            "additionalProperties": False,
        }

    return read


def with_path(
    read: Callable[[dict[str, Any]], dict[str, Any]], required: dict[str, Any]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A body schema with the path's parameters (`required`) as required properties too."""

    def combined(document: dict[str, Any]) -> dict[str, Any]:
        schema = read(document)
        properties = {**required, **schema.get("properties", {})}
        needed = list(required) + [n for n in schema.get("required", []) if n not in required]
        return dict(schema, properties=properties, required=needed)

    return combined


def fixed(schema: dict[str, Any]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A schema that is the same whatever the document says."""
    return lambda _document: schema


def _body(result: Any) -> Any:
    """The contract's body of an SDK result."""
    to_dict = getattr(result, "to_dict", None)
    return to_dict() if callable(to_dict) else result


async def _sync_products(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.products.sync(**args))


async def _sync_orders(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.orders.sync(**args))


async def _plan(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.exports.plan(**args))


async def _execute(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    """Execute only a plan that needs no person: BLOCKED and not-yet-approved REVIEW_REQUIRED
    plans are refused here, before the API is asked to execute anything."""
    view = _body(await client.exports.inspect(args["batchId"]))
    readiness = view.get("readinessState")
    approval = (view.get("approval") or {}).get("state")
    if readiness == "BLOCKED":
        raise ToolRefused(
            "EXPORT_BLOCKED",
            "The plan is BLOCKED: fix the data and re-plan; it cannot be executed.",
            {"validationMessages": view.get("plan", {}).get("validationMessages", [])},
        )
    if readiness == "REVIEW_REQUIRED" and approval != "APPROVED":
        raise ToolRefused(
            "EXPORT_REVIEW_REQUIRED",
            "The plan needs a compliance reviewer's approval before it can be executed. "
            "No tool can approve: a person approves it in the review console.",
            {"approval": view.get("approval"), "exportId": view.get("exportId")},
        )
    return _body(await client.exports.execute(**args))


async def _inspect(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.exports.inspect(args["exportId"]))


async def _list(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.exports.list(**args))


async def _events(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    export_id = args.pop("exportId")
    return _body(await client.exports.events(export_id, **args))


async def _wait(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(
        await client.exports.wait(
            args["exportId"],
            until=set(args["until"]),
            timeout=float(args.get("timeoutSeconds") or 60.0),
        )
    )


async def _broker_requests(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    return _body(await client.exports.broker_requests.list(args["exportId"]))


def _document(n: int, document: dict[str, Any]) -> tuple[str, str, bytes]:
    """An attached document of the contract's body as (filename, contentType, bytes); its
    base64 and its sha256 (when given) are checked before anything is sent."""
    field = f"documents[{n}]"
    try:
        content = base64.b64decode(document["contentBase64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ToolRefused(
            "VALIDATION_ERROR", "contentBase64 is not base64.", {"field": f"{field}.contentBase64"}
        ) from exc
    digest = document.get("sha256")
    if digest is not None and digest != hashlib.sha256(content).hexdigest():
        raise ToolRefused(
            "VALIDATION_ERROR",
            "sha256 does not match the content.",
            {"field": f"{field}.sha256"},
        )
    return document["filename"], document["contentType"], content


async def _answer_broker_request(client: AsyncEntryGo, args: dict[str, Any]) -> Any:
    documents = [_document(n, d) for n, d in enumerate(args.get("documents") or [])]
    answer = await client.exports.broker_requests.answer(
        args["exportId"],
        args["requestId"],
        message=args["message"],
        documents=documents or None,
        idempotencyKey=args.get("idempotencyKey"),
    )
    return _body(answer)


def outcome_note(body: Any) -> str | None:
    """The plain line on an answer's outcome (`awaiting_review: ...` and the like)."""
    outcome = body.get("outcome") if isinstance(body, dict) else None
    note = OUTCOME_NOTES.get(outcome) if isinstance(outcome, str) else None
    return note.format(n=body.get("amendment")) if note is not None else None


TOOLS = [
    ToolSpec(
        "sync_products",
        "Upsert products by externalId (POST /api/products/sync). Returns their EntryGo ids.",
        body_schema("/api/products/sync"),
        _sync_products,
    ),
    ToolSpec(
        "sync_orders",
        "Upsert orders by externalId (POST /api/orders/sync). Keep data[].id: plans take "
        "EntryGo order ids, never externalIds.",
        body_schema("/api/orders/sync"),
        _sync_orders,
    ),
    ToolSpec(
        "plan_export",
        "Plan an export of orders (POST /api/exports/plan). Read readinessState, "
        "validationMessages and planHash before deciding anything.",
        body_schema("/api/exports/plan"),
        _plan,
    ),
    ToolSpec(
        "execute_export",
        "Execute a READY (or approved) plan: customs package, artifacts, broker, warehouse "
        "(POST /api/exports/execute with batchId = exportId). Refused for BLOCKED plans and for "
        "plans that still need a reviewer's approval.",
        body_schema("/api/exports/execute"),
        _execute,
    ),
    ToolSpec(
        "inspect_export",
        "The export as it stands (GET /api/exports/{id}): status, plan, approval, package, "
        "artifacts, broker submission, notifications, events.",
        fixed(
            {
                "type": "object",
                "properties": {"exportId": EXPORT_ID},
                "required": ["exportId"],
                "additionalProperties": False,
            }
        ),
        _inspect,
    ),
    ToolSpec(
        "list_exports",
        "The account's exports in creation order (GET /api/exports), filtered by status and "
        "readinessState.",
        query_schema("/api/exports"),
        _list,
    ),
    ToolSpec(
        "export_events",
        "An export's events in seq order (GET /api/exports/{id}/events); continue after the "
        "last seq you read.",
        query_schema("/api/exports/{export_id}/events", required={"exportId": EXPORT_ID}),
        _events,
    ),
    ToolSpec(
        "wait_for_export",
        "Wait until the export's status is one of `until` (or timeoutSeconds pass); returns "
        "the inspect view.",
        fixed(
            {
                "type": "object",
                "properties": {
                    "exportId": EXPORT_ID,
                    "until": {
                        "type": "array",
                        "items": {"type": "string", "enum": STATUSES},
                        "minItems": 1,
                    },
                    "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                },
                "required": ["exportId", "until"],
                "additionalProperties": False,
            }
        ),
        _wait,
    ),
    ToolSpec(
        "list_broker_requests",
        "The broker's information requests and correctable rejections of an export, with our "
        "answers (GET /api/exports/{id}/broker-requests). An OPEN request names the fields and "
        "documents the broker asks for; correct the data with sync_products / sync_orders, "
        "then answer_broker_request.",
        fixed(
            {
                "type": "object",
                "properties": {"exportId": EXPORT_ID},
                "required": ["exportId"],
                "additionalProperties": False,
            }
        ),
        _broker_requests,
    ),
    ToolSpec(
        "answer_broker_request",
        "Answer an OPEN broker request (POST /api/exports/{id}/broker-requests/{requestId}/"
        "answer) with a message and documents (PDF, PNG or JPEG, base64). The export is "
        "re-planned from current data: outcome amendment_sent means the amendment went to the "
        "broker; awaiting_review means the new plan is back in the review queue and nothing was "
        "sent until a person approves it; blocked means fix the data and answer again. Refused "
        "with INVALID_EXPORT_STATE when the request is not open.",
        with_path(
            body_schema("/api/exports/{export_id}/broker-requests/{request_id}/answer"),
            {"exportId": EXPORT_ID, "requestId": REQUEST_ID},
        ),
        _answer_broker_request,
        outcome_note,
    ),
]
BY_NAME = {t.name: t for t in TOOLS}


def refusal_of(error: EntryGoError) -> ToolRefused:
    """An API error as a tool refusal carrying the contract's errorCode."""
    return ToolRefused(
        error.error_code or "ERROR",
        error.message or str(error),
        {"status": error.status, "field": error.field, "details": error.details},
    )
