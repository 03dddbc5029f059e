"""Customs packages and artifact content (CONTRACT §10)."""

from services.context import Context
from services.exports.views import package_view
from services.models.exports import CustomsPackageOut
from store import execution
from store.records import ArtifactContent


async def get_package(ctx: Context, package_id: str) -> CustomsPackageOut:
    """A customs package with its artifacts."""
    async with ctx.connect() as conn:
        package = await execution.get_package(conn, ctx.account_id, package_id)
        return package_view(package, await execution.artifacts_of(conn, package_id))


async def get_artifact(ctx: Context, artifact_id: str) -> ArtifactContent:
    """An artifact with its bytes."""
    async with ctx.connect() as conn:
        return await execution.get_artifact(conn, ctx.account_id, artifact_id)
