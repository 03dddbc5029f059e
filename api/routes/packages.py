"""Customs packages and artifact content (CONTRACT §10)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, RuntimeDep
from api.openapi import error_responses
from services import packages

router = APIRouter(prefix="/api", tags=["customs packages"])


class ArtifactOut(BaseModel):
    """An artifact's metadata."""

    id: str
    artifact_type: str
    filename: str
    contentType: str
    sizeBytes: int
    sha256: str
    generated_at: Any
    downloadUrl: str


class CustomsPackageOut(BaseModel):
    """A customs package."""

    id: str
    exportBatchId: str
    packageNumber: str
    state: str
    planHash: str
    createdAt: Any
    artifacts: list[ArtifactOut]


@router.get(
    "/customs-packages/{package_id}",
    response_model=CustomsPackageOut,
    responses=error_responses(403),
)
async def get_customs_package(
    package_id: str, principal: AnyRole, rt: RuntimeDep
) -> dict[str, Any]:
    """A customs package with its artifacts."""
    return await packages.get_package(rt, principal.account_id, package_id)


@router.get(
    "/artifacts/{artifact_id}/content",
    responses={
        200: {"content": {"application/octet-stream": {}}},
        304: {"description": "not modified"},
        **error_responses(403),
    },
    response_class=Response,
)
async def get_artifact_content(
    artifact_id: str, request: Request, principal: AnyRole, rt: RuntimeDep
) -> Response:
    """The artifact's bytes; ETag is its sha256."""
    artifact = await packages.get_artifact(rt, principal.account_id, artifact_id)
    etag = f'"{artifact.sha256}"'
    headers = {"ETag": etag, "Content-Disposition": f'attachment; filename="{artifact.filename}"'}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(bytes(artifact.content), media_type=artifact.content_type, headers=headers)
