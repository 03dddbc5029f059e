"""OpenAPI links: from the operations that create things to those that read them (§9, §10).

Generated clients and the stateful phase of a contract fuzzer follow them: products sync → get
product, orders sync → get order and plan → inspect and execute → customs package → artifact
content, and each created warehouse, broker and key to its own routes.
"""

from typing import Any

Link = tuple[str, str, str, dict[str, Any]]  # (link name, target path, target method, fields)

FIRST = "$response.body#/data/0/id"
EXPORT = "$response.body#/exportId"
PACKAGE = "$response.body#/customs_package_id"
OWN_ID = "$response.body#/id"

LINKS: dict[tuple[str, str], list[Link]] = {
    ("/api/products/sync", "post"): [
        ("GetProduct", "/api/products/{product_id}", "get", {"parameters": {"product_id": FIRST}}),
    ],
    ("/api/orders/sync", "post"): [
        ("GetOrder", "/api/orders/{order_id}", "get", {"parameters": {"order_id": FIRST}}),
        (
            "PlanExport",
            "/api/exports/plan",
            "post",
            {
                "requestBody": {
                    "accountId": "$response.body#/data/0/accountId",
                    "orderIds": [FIRST],
                }
            },
        ),
    ],
    ("/api/exports/plan", "post"): [
        ("InspectExport", "/api/exports/{export_id}", "get", {"parameters": {"export_id": EXPORT}}),
        (
            "ListExportEvents",
            "/api/exports/{export_id}/events",
            "get",
            {"parameters": {"export_id": EXPORT}},
        ),
        ("ExecuteExport", "/api/exports/execute", "post", {"requestBody": {"batchId": EXPORT}}),
    ],
    ("/api/exports/execute", "post"): [
        ("InspectExport", "/api/exports/{export_id}", "get", {"parameters": {"export_id": EXPORT}}),
        (
            "GetCustomsPackage",
            "/api/customs-packages/{package_id}",
            "get",
            {"parameters": {"package_id": PACKAGE}},
        ),
    ],
    ("/api/exports/{export_id}", "get"): [
        (
            "GetCustomsPackage",
            "/api/customs-packages/{package_id}",
            "get",
            {"parameters": {"package_id": PACKAGE}},
        ),
    ],
    ("/api/customs-packages/{package_id}", "get"): [
        (
            "GetArtifactContent",
            "/api/artifacts/{artifact_id}/content",
            "get",
            {"parameters": {"artifact_id": "$response.body#/artifacts/0/id"}},
        ),
    ],
    ("/api/warehouses", "post"): [
        (
            "GetWarehouse",
            "/api/warehouses/{warehouse_id}",
            "get",
            {"parameters": {"warehouse_id": OWN_ID}},
        ),
        (
            "PatchWarehouse",
            "/api/warehouses/{warehouse_id}",
            "patch",
            {"parameters": {"warehouse_id": OWN_ID}},
        ),
    ],
    ("/api/brokers", "post"): [
        ("GetBroker", "/api/brokers/{broker_id}", "get", {"parameters": {"broker_id": OWN_ID}}),
        ("PatchBroker", "/api/brokers/{broker_id}", "patch", {"parameters": {"broker_id": OWN_ID}}),
    ],
    ("/api/keys", "post"): [
        ("RevokeKey", "/api/keys/{key_id}", "delete", {"parameters": {"key_id": OWN_ID}}),
    ],
}


def add_links(paths: dict[str, Any]) -> None:
    """Attach LINKS to every success response of their source operations."""
    for (path, method), links in LINKS.items():
        source = paths[path][method]
        for status, response in source["responses"].items():
            if not status.startswith("2"):
                continue
            found = response.setdefault("links", {})
            for name, target_path, target_method, fields in links:
                target = paths[target_path][target_method]
                found[name] = {"operationId": target["operationId"], **fields}
