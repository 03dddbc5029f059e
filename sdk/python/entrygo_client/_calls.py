"""The requests of the API, one builder per call, shared by the sync and the async client. Request
fields are the contract's camelCase names; None means "not sent"."""

import base64
import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from entrygo_client._http import Call

# an attached document as the caller gives it: (filename, contentType, content)
Document = tuple[str, str, bytes]


def _id(value: str) -> str:
    return quote(str(value), safe="")


def _fields(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def health() -> Call:
    return Call("GET", "/system/health")


def sync_products(accountId: str | None, items: list[dict[str, Any]]) -> Call:
    return Call("POST", "/products/sync", json=_fields(accountId=accountId, items=items))


def sync_orders(accountId: str | None, items: list[dict[str, Any]]) -> Call:
    return Call("POST", "/orders/sync", json=_fields(accountId=accountId, items=items))


def plan(
    accountId: str,
    warehouseId: str,
    brokerId: str,
    orderIds: list[str],
    destinationCountry: str | None,
    batchId: str | None,
    dryRun: bool | None,
) -> Call:
    body = _fields(
        accountId=accountId,
        warehouseId=warehouseId,
        brokerId=brokerId,
        orderIds=list(orderIds),
        destinationCountry=destinationCountry,
        batchId=batchId,
        dryRun=dryRun,
    )
    return Call("POST", "/exports/plan", json=body)


def execute(accountId: str, batchId: str) -> Call:
    return Call("POST", "/exports/execute", json=_fields(accountId=accountId, batchId=batchId))


def get_export(export_id: str) -> Call:
    return Call("GET", f"/exports/{_id(export_id)}")


def list_exports(
    status: str | None, readinessState: str | None, cursor: str | None, limit: int | None
) -> Call:
    params = _fields(status=status, readinessState=readinessState, cursor=cursor, limit=limit)
    return Call("GET", "/exports", params=params)


def events(export_id: str, after: int | None, limit: int | None) -> Call:
    params = _fields(after=after, limit=limit)
    return Call("GET", f"/exports/{_id(export_id)}/events", params=params)


def approve(export_id: str, planHash: str, comment: str | None) -> Call:
    body = _fields(planHash=planHash, comment=comment)
    return Call("POST", f"/exports/{_id(export_id)}/approve", json=body)


def reject(export_id: str, reason: str | None) -> Call:
    return Call("POST", f"/exports/{_id(export_id)}/reject", json=_fields(reason=reason))


def cancel(export_id: str, reason: str | None) -> Call:
    return Call("POST", f"/exports/{_id(export_id)}/cancel", json=_fields(reason=reason))


def retry(export_id: str) -> Call:
    return Call("POST", f"/exports/{_id(export_id)}/retry", json={})


def replan(
    export_id: str,
    orderIds: list[str] | None,
    warehouseId: str | None,
    brokerId: str | None,
    destinationCountry: str | None,
) -> Call:
    body = _fields(
        orderIds=list(orderIds) if orderIds is not None else None,
        warehouseId=warehouseId,
        brokerId=brokerId,
        destinationCountry=destinationCountry,
    )
    return Call("POST", f"/exports/{_id(export_id)}/replan", json=body)


def broker_requests(export_id: str) -> Call:
    return Call("GET", f"/exports/{_id(export_id)}/broker-requests")


def attached(documents: Iterable[Document]) -> list[dict[str, str]]:
    """Documents as the answer's body carries them: the content base64-encoded, with its sha256
    so the server can tell a damaged upload."""
    return [
        {
            "filename": filename,
            "contentType": content_type,
            "contentBase64": base64.b64encode(content).decode("ascii"),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        for filename, content_type, content in documents
    ]


def answer_broker_request(
    export_id: str, request_id: str, message: str, documents: Iterable[Document] | None
) -> Call:
    body = _fields(
        message=message, documents=attached(documents) if documents is not None else None
    )
    path = f"/exports/{_id(export_id)}/broker-requests/{_id(request_id)}/answer"
    return Call("POST", path, json=body)


def customs_package(package_id: str) -> Call:
    return Call("GET", f"/customs-packages/{_id(package_id)}")


def artifact_content(artifact_id: str) -> Call:
    return Call("GET", f"/artifacts/{_id(artifact_id)}/content", raw=True)
