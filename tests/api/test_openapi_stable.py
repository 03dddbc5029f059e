"""The OpenAPI document only grows: nothing a client was promised is removed or renamed.

`tests/support/openapi_v1.json` is the document as it was published; the live one must still
hold every path, operation, parameter, schema, property, required entry and enum value of it.
Additions (a new route, a new optional property, a tighter schema) are allowed.
"""

import json
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


def _schema_losses(where: str, before: Any, after: Any) -> list[str]:
    """What `before` promised that `after` no longer does: properties, required entries, enum
    values, recursively through properties, items and the combinators."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    lost: list[str] = []
    for name, prop in before.get("properties", {}).items():
        if name not in after.get("properties", {}):
            lost.append(f"{where}: property {name!r} removed")
        else:
            lost += _schema_losses(f"{where}.{name}", prop, after["properties"][name])
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
    for key in ("items", "additionalProperties"):
        lost += _schema_losses(f"{where}[{key}]", before.get(key), after.get(key))
    if before.get("$ref") and after.get("$ref") and before["$ref"] != after["$ref"]:
        lost.append(f"{where}: $ref {before['$ref']} became {after['$ref']}")
    return lost


def losses(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Every promise of `before` that `after` broke."""
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
                        f"{where} {param['name']}", param.get("schema"), found.get("schema")
                    )
            for status in was.get("responses", {}):
                if status not in now.get("responses", {}):
                    lost.append(f"{where}: response {status} removed")
    schemas = after.get("components", {}).get("schemas", {})
    for name, schema in before.get("components", {}).get("schemas", {}).items():
        if name not in schemas:
            lost.append(f"schema {name} removed")
        else:
            lost += _schema_losses(f"schema {name}", schema, schemas[name])
    return lost


def test_the_openapi_document_keeps_every_promise() -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert losses(before, live_document()) == []


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
    ],
)
def test_a_removal_is_seen(break_it: Any) -> None:
    before = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    after = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    break_it(after)
    assert losses(before, after) != []
