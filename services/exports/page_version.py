"""The version of an export's page: what a live poll of the console compares before anything
is loaded or rendered (a page answers 304 while its export did not change)."""

from services.context import Context
from store.export_version import ExportVersion, export_version


async def page_version(ctx: Context, export_id: str) -> ExportVersion | None:
    """The export's status, last update and last event seq; None when it is not the account's."""
    async with ctx.connect() as conn:
        return await export_version(conn, ctx.account_id, export_id)
