"""Customs packages and artifact content (CONTRACT §10)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, PoolDep
from api.openapi import error_responses
from api.views import package_view
from store import execution

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
async def get_customs_package(package_id: str, principal: AnyRole, pool: PoolDep) -> dict[str, Any]:
    """A customs package with its artifacts."""
    async with pool.acquire() as conn:
        row = await execution.get_package(conn, principal.account_id, package_id)
        return package_view(row, await execution.artifacts_of(conn, package_id))


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
    artifact_id: str, request: Request, principal: AnyRole, pool: PoolDep
) -> Response:
    """The artifact's bytes; ETag is its sha256."""
    async with pool.acquire() as conn:
        row = await execution.get_artifact(conn, principal.account_id, artifact_id)
    etag = f'"{row["sha256"]}"'
    headers = {"ETag": etag, "Content-Disposition": f'attachment; filename="{row["filename"]}"'}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(bytes(row["content"]), media_type=row["content_type"], headers=headers)
