"""The OpenAPI document only grows: nothing a client was promised is removed or renamed.

`tests/support/openapi_v1.json` is the document as it was published; the live one must still
hold every path, operation, parameter, response, schema, property, required entry, enum value
and anyOf/oneOf/allOf branch of it, at any depth (through items, additionalProperties and the
branches). Additions (a new route, a new optional property, a tighter schema) are allowed; a
response that is no longer null is tighter, a request that may no longer be null is not.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from config.settings import Settings

SNAPSHOT = Path(__file__).resolve().parents[1] / "support" / "openapi_v1.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def live_document() -> dict[str, Any]:
    app = create_app(Settings(database_url="postgresql://unused/unused"))
    return app.openapi()


COMBINATORS = ("anyOf", "oneOf", "allOf")
# anyOf and oneOf list alternatives; allOf lists parts that all hold
ALTERNATIVES = ("anyOf", "oneOf")
NULL = {"type": "null"}


class _Documents:
    """The two documents a comparison reads `$ref` targets from, the components a request
    carries, and the pairs of schemas already compared (schemas refer to themselves)."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.before, self.after = before, after
        self.seen: set[tuple[str, str]] = set()
        self.requested = _requested_components(before)

    @staticmethod
    def resolve(document: dict[str, Any], schema: Any) -> Any:
        """The schema a `$ref` names (the schema itself when it is no reference)."""
        if not isinstance(schema, dict) or "$ref" not in schema:
            return schema
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
        return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _requested_components(document: dict[str, Any]) -> set[str]:
    """The `$ref` of every component schema a request (a parameter or a body) may carry."""
    pending = [
        ref
        for item in document.get("paths", {}).values()
        for method in METHODS
        if method in item
        for part in (item[method].get("parameters", []), item[method].get("requestBody"))
        for ref in _refs(part)
    ]
    found: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref not in found:
            found.add(ref)
            pending += _refs(_Documents.resolve(document, {"$ref": ref}))
    return found


def _types(schema: Any) -> set[str]:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _branch_losses(
    where: str, before: list[Any], after: list[Any], docs: _Documents, request: bool
) -> list[str]:
    """Each old branch is matched to an unused new one with the same `$ref` target, else with
    the same type (a `$ref`'s being its target's), in order when several share one, and
    compared with it; an old branch without a match is lost. A response that is no longer
    null is a tighter one; a request that may no longer be null has lost a branch."""

    def kind(document: dict[str, Any], branch: Any) -> str:
        return json.dumps(sorted(_types(docs.resolve(document, branch))))

    lost: list[str] = []
    unused = list(after)
    matches: list[tuple[int, Any, Any]] = []
    pending = []
    for index, branch in enumerate(before):
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        match = next((new for new in unused if ref and new.get("$ref") == ref), None)
        if match is None:
            pending.append((index, branch))
        else:
            unused.remove(match)
            matches.append((index, branch, match))
    for index, branch in pending:
        was = kind(docs.before, branch)
        match = next((new for new in unused if kind(docs.after, new) == was), None)
        if match is not None:
            unused.remove(match)
            matches.append((index, branch, match))
        elif branch != NULL or request:
            lost.append(f"{where}: branch {index} {json.dumps(branch)[:80]} removed")
    for index, branch, match in sorted(matches, key=lambda m: m[0]):
        lost += _schema_losses(f"{where}[{index}]", branch, match, docs, request)
    return lost


def _schema_losses(
    where: str, before: Any, after: Any, docs: _Documents, request: bool
) -> list[str]:
    """What `before` promised that `after` no longer does: properties, required entries, enum
    values, types, combinator branches and discriminator values, recursively through
    properties, items, additionalProperties, every combinator branch and, where one side
    spells out what the other refers to, the `$ref` target. `request` says whether a client
    sends this schema (then losing `null` is a loss) or only receives it."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    if "$ref" in before and "$ref" in after and before["$ref"] != after["$ref"]:
        return [f"{where}: $ref {before['$ref']} became {after['$ref']}"]
    # the same component on both sides is compared once, under components.schemas
    if not any(key in before for key in ALTERNATIVES):
        key = next((key for key in ALTERNATIVES if key in after), None)
        if key is not None:
            # a schema that became one alternative of several (say, nullable): compare it
            # with the alternative it became
            return _branch_losses(f"{where}.{key}", [before], after[key], docs, request)
    if ("$ref" in before) != ("$ref" in after):
        # one side spells out what the other refers to: compare the schemas themselves
        pair = (before.get("$ref") or f"{id(before)}", after.get("$ref") or f"{id(after)}")
        if pair in docs.seen:
            return []
        docs.seen.add(pair)
        return _schema_losses(
            where, docs.resolve(docs.before, before), docs.resolve(docs.after, after), docs, request
        )
    lost: list[str] = []
    for key in COMBINATORS:
        if key in before:
            # a combinator that is gone leaves the schema itself as the one remaining branch
            now = after.get(key)
            if now is None and key in ALTERNATIVES:
                now = next((after[other] for other in ALTERNATIVES if other in after), None)
            lost += _branch_losses(f"{where}.{key}", before[key], now or [after], docs, request)
    if _types(after):
        gone = _types(before) - _types(after) - (set() if request else {"null"})
        lost += [f"{where}: type {kind!r} removed" for kind in sorted(gone)]
    for name, prop in before.get("properties", {}).items():
        if name not in after.get("properties", {}):
            lost.append(f"{where}: property {name!r} removed")
        else:
            now = after["properties"][name]
            lost += _schema_losses(f"{where}.{name}", prop, now, docs, request)
    lost += [
        f"{where}: required {name!r} removed"
        for name in before.get("required", [])
        if name not in after.get("required", [])
    ]
    if "enum" in before:
        kept = set(map(json.dumps, after.get("enum", before["enum"])))
        lost += [
            f"{where}: enum value {value!r} removed"
            for value in before["enum"]
            if json.dumps(value) not in kept
        ]
    mapping = after.get("discriminator", {}).get("mapping", {})
    lost += [
        f"{where}: discriminator value {tag!r} removed"
        for tag in before.get("discriminator", {}).get("mapping", {})
        if tag not in mapping
    ]
    for key in ("items", "additionalProperties"):
        lost += _schema_losses(f"{where}[{key}]", before.get(key), after.get(key), docs, request)
    return lost


def _content_losses(
    where: str, before: Any, after: Any, docs: _Documents, request: bool
) -> list[str]:
    """The media types of a request body or a response, and the schema of each."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    lost: list[str] = []
    content = after.get("content", {})
    for media, was in before.get("content", {}).items():
        if media not in content:
            lost.append(f"{where}: content {media} removed")
        else:
            now = content[media].get("schema")
            lost += _schema_losses(f"{where} {media}", was.get("schema"), now, docs, request)
    return lost


def losses(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Every promise of `before` that `after` broke."""
    docs = _Documents(before, after)
    lost: list[str] = []
    for path, item in before.get("paths", {}).items():
        if path not in after.get("paths", {}):
            lost.append(f"path {path} removed")
            continue
        for method in METHODS:
            if method not in item:
                continue
            was, now = item[method], after["paths"][path].get(method)
            where = f"{method.upper()} {path}"
            if now is None:
                lost.append(f"{where} removed")
                continue
            if was.get("operationId") != now.get("operationId"):
                lost.append(f"{where}: operationId {was.get('operationId')} renamed")
            params = {(p["in"], p["name"]): p for p in now.get("parameters", [])}
            for param in was.get("parameters", []):
                found = params.get((param["in"], param["name"]))
                if found is None:
                    lost.append(f"{where}: parameter {param['in']}:{param['name']} removed")
                else:
                    lost += _schema_losses(
                        f"{where} {param['name']}",
                        param.get("schema"),
                        found.get("schema"),
                        docs,
                        request=True,
                    )
            if "requestBody" in was and "requestBody" not in now:
                lost.append(f"{where}: request body removed")
            lost += _content_losses(
                f"{where} request body",
                was.get("requestBody"),
                now.get("requestBody"),
                docs,
                request=True,
            )
            for status, response in was.get("responses", {}).items():
                if status not in now.get("responses", {}):
                    lost.append(f"{where}: response {status} removed")
                else:
                    lost += _content_losses(
                        f"{where} {status}", response, now["responses"][status], docs, False
                    )
    schemas = after.get("components", {}).get("schemas", {})
    for name, schema in before.get("components", {}).get("schemas", {}).items():
        if name not in schemas:
            lost.append(f"schema {name} removed")
        else:
            request = f"#/components/schemas/{name}" in docs.requested
            lost += _schema_losses(f"schema {name}", schema, schemas[name], docs, request)
    return lost


def test_the_openapi_document_keeps_every_promise() -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert losses(before, live_document()) == []


def props(document: dict[str, Any], schema: str) -> dict[str, Any]:
    """The properties of one component schema of `document`."""
    properties: dict[str, Any] = document["components"]["schemas"][schema]["properties"]
    return properties


def inline(document: dict[str, Any], schema: str, without: str) -> dict[str, Any]:
    """A component schema spelled out inline, less one property."""
    spelled = json.loads(json.dumps(document["components"]["schemas"][schema]))
    del spelled["properties"][without]
    return dict(spelled)


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d["paths"].pop("/api/brokers"),
        lambda d: d["paths"]["/api/brokers"].pop("post"),
        lambda d: d["paths"]["/api/brokers"]["get"].update(operationId="brokers"),
        lambda d: d["paths"]["/api/brokers"]["post"]["responses"].pop("201"),
        lambda d: d["paths"]["/api/exports"]["get"]["parameters"].pop(0),
        lambda d: d["components"]["schemas"].pop("Broker"),
        lambda d: d["components"]["schemas"]["Broker"]["properties"].pop("filerCode"),
        lambda d: d["components"]["schemas"]["Broker"]["required"].pop(0),
        lambda d: d["components"]["schemas"]["BrokerOutcomeRequest"]["properties"]["status"][
            "enum"
        ].pop(0),
        # beneath a nullable property (anyOf: [X, null])
        lambda d: props(d, "ProductIn")["countryOfOrigin"]["anyOf"][0]["enum"].pop(0),
        lambda d: props(d, "Plan")["status"]["anyOf"].pop(0),
        lambda d: props(d, "Plan")["status"]["anyOf"][0].update(
            {"$ref": "#/components/schemas/ExportState"}
        ),
        lambda d: props(d, "ExportView")["customsPackage"]["anyOf"][0].update(type="string"),
        lambda d: props(d, "OrderIn")["consignee"]["anyOf"].__setitem__(
            0, inline(d, "ConsigneeIn", without="address")
        ),
        lambda d: props(d, "WebhookEndpoint")["eventTypes"]["anyOf"][0]["items"].update(
            type="integer"
        ),
        # a request's property that may no longer be null
        lambda d: props(d, "ReplanRequest")["orderIds"]["anyOf"].pop(1),
        lambda d: props(d, "ReplanRequest").update(
            orderIds=props(d, "ReplanRequest")["orderIds"]["anyOf"][0]
        ),
        # beneath an array's items
        lambda d: props(d, "KeyCreate")["roles"]["items"]["enum"].pop(),
        lambda d: props(d, "BrokerCreate")["supportedDestinations"]["items"]["enum"].pop(0),
        lambda d: props(d, "Order")["items"]["items"].__setitem__(
            "$ref", "#/components/schemas/OrderLineIn"
        ),
        lambda d: props(d, "Order").update(
            items={"type": "array", "items": inline(d, "OrderLine", without="productId")}
        ),
        # a oneOf's branch and its discriminator value
        lambda d: props(d, "Broker")["transport"]["oneOf"].pop(0),
        lambda d: props(d, "Broker")["transport"]["discriminator"]["mapping"].pop("email"),
    ],
)
def test_a_removal_is_seen(break_it: Any) -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    after = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    break_it(after)
    assert losses(before, after) != []


@pytest.mark.parametrize(
    "change_it",
    [
        # a response that is no longer null, or whose free-form object got a schema
        lambda d: props(d, "Plan").update(plannedAt={"type": "string"}),
        lambda d: props(d, "ExportView")["customsPackage"]["anyOf"].__setitem__(
            0, {"$ref": "#/components/schemas/CustomsPackageOut"}
        ),
        # a schema spelled out inline instead of referred to, whole
        lambda d: props(d, "OrderIn")["consignee"]["anyOf"].__setitem__(
            0, d["components"]["schemas"]["ConsigneeIn"]
        ),
        # a new branch, a new property, a request's property that became nullable
        lambda d: props(d, "ReplanRequest")["orderIds"]["anyOf"].append({"type": "string"}),
        lambda d: props(d, "Broker").update(note={"type": "string"}),
        lambda d: props(d, "PlanRequest").update(
            orderIds={"anyOf": [props(d, "PlanRequest")["orderIds"], {"type": "null"}]}
        ),
    ],
)
def test_an_addition_or_a_tighter_response_passes(change_it: Any) -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    after = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    change_it(after)
    assert losses(before, after) == []
