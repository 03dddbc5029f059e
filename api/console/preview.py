"""The console's documents: the DRAFT invoice preview of the plan under review and the
download of an account's artifacts."""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.console.export_page import export_url
from api.console.security import inline_style_hashes, secure
from api.console.signed_in import ID, PREFIX, Answer, message_page, not_found, signed_in
from api.deps import RuntimeDep
from api.errors import from_service_error
from services import packages
from services.context import Context, Intent
from services.errors import ServiceError
from services.evidence.pack import evidence_pack
from services.exports import preview
from store.errors import NotFound

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/exports/{export_id}/invoice-preview")
async def invoice_preview(
    request: Request,
    export_id: str,
    rt: RuntimeDep,
    planHash: Annotated[str, Query()] = "",
) -> Response:
    """The DRAFT commercial invoice of the plan under review (no side effect)."""
    try:
        session = await signed_in(request, rt)
        if not ID.match(export_id):
            raise NotFound("export")
        reader = Context(rt, Intent(session.principal))
        html = await preview.invoice_preview(reader, export_id, planHash)
    except Answer as stop:
        return stop.response
    except NotFound:
        return not_found(request, "export")
    except ServiceError as exc:
        error = from_service_error(exc)
        return message_page(
            request,
            error.status,
            "No preview",
            error.message,
            link=export_url(export_id),
            link_text="Back to the export",
        )
    response = Response(html, media_type="text/html; charset=utf-8")
    return secure(response, style_hashes=inline_style_hashes(html))


@router.get("/artifacts/{artifact_id}")
async def artifact(request: Request, artifact_id: str, rt: RuntimeDep) -> Response:
    """Download an artifact of the account."""
    try:
        session = await signed_in(request, rt)
        if not ID.match(artifact_id):
            raise NotFound("artifact")
        found = await packages.get_artifact(Context(rt, Intent(session.principal)), artifact_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return not_found(request, "artifact")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", found.filename)
    response = Response(
        bytes(found.content),
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return secure(response)


@router.get("/exports/{export_id}/evidence")
async def evidence(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """The export's signed evidence pack (docs/evidence.md), as the API serves it."""
    try:
        session = await signed_in(request, rt)
        if not ID.match(export_id):
            raise NotFound("export")
        pack = await evidence_pack(Context(rt, Intent(session.principal)), export_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return not_found(request, "export")
    response = Response(
        pack.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{pack.filename}"'},
    )
    return secure(response)
