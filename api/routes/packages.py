"""Customs packages and artifact content (CONTRACT §10)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import AnyRoleCall
from api.openapi import error_responses
from api.schemas.exports import CustomsPackageOut
from services import packages

router = APIRouter(prefix="/api", tags=["customs packages"])


@router.get(
    "/customs-packages/{package_id}",
    response_model=CustomsPackageOut,
    responses=error_responses(403),
)
async def get_customs_package(package_id: str, ctx: AnyRoleCall) -> CustomsPackageOut:
    """A customs package with its artifacts."""
    return await packages.get_package(ctx, package_id)


@router.get(
    "/artifacts/{artifact_id}/content",
    responses={
        200: {"content": {"application/octet-stream": {}}},
        304: {"description": "not modified"},
        **error_responses(403),
    },
    response_class=Response,
)
async def get_artifact_content(artifact_id: str, request: Request, ctx: AnyRoleCall) -> Response:
    """The artifact's bytes; ETag is its sha256."""
    artifact = await packages.get_artifact(ctx, artifact_id)
    etag = f'"{artifact.sha256}"'
    headers = {"ETag": etag, "Content-Disposition": f'attachment; filename="{artifact.filename}"'}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(bytes(artifact.content), media_type=artifact.content_type, headers=headers)
