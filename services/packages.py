"""Customs packages and artifact content (CONTRACT §10)."""

from typing import Any

from services.context import Runtime
from services.exports.views import package_view
from store import execution
from store.records import ArtifactContent


async def get_package(rt: Runtime, account_id: str, package_id: str) -> dict[str, Any]:
    """A customs package with its artifacts."""
    async with rt.pool.acquire() as conn:
        package = await execution.get_package(conn, account_id, package_id)
        return package_view(package, await execution.artifacts_of(conn, package_id))


async def get_artifact(rt: Runtime, account_id: str, artifact_id: str) -> ArtifactContent:
    """An artifact with its bytes."""
    async with rt.pool.acquire() as conn:
        return await execution.get_artifact(conn, account_id, artifact_id)
