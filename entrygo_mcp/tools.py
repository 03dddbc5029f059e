"""The tools an agent gets: the lifecycle's calls with the contract's inputs and bodies, and the
guard that keeps execution with plans a person does not have to look at first.

Input schemas come from the contract itself: the API's OpenAPI document (its request bodies and
query parameters, references resolved) is read once from the server the tools call. Results are
the contract's response bodies. No tool approves: approving stays with people.
"""

import copy
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
]
EXPORT_ID = {"type": "string", "minLength": 1, "maxLength": 100, "description": "the exportId"}


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
]
BY_NAME = {t.name: t for t in TOOLS}


def refusal_of(error: EntryGoError) -> ToolRefused:
    """An API error as a tool refusal carrying the contract's errorCode."""
    return ToolRefused(
        error.error_code or "ERROR",
        error.message or str(error),
        {"status": error.status, "field": error.field, "details": error.details},
    )
