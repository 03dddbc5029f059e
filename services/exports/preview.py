"""The invoice preview: the commercial invoice the plan under review would produce, rendered by
the renderer execution uses and marked DRAFT. It reads; it creates no package, artifact, event
or any other side effect."""

import asyncio

from domain.documents.assembly import package_data
from domain.documents.invoice import build_invoice
from domain.documents.invoice_html import render_invoice_html
from domain.status import ExportStatus as S
from services.context import Context
from services.errors import Conflict
from services.exports import guards
from store.package_data import load_package_source

DRAFT_PACKAGE_ID = "DRAFT"

# once execution has begun, the package's own invoice is the one to read
PREVIEWABLE = frozenset({S.PLANNED, S.AWAITING_APPROVAL, S.BLOCKED})


def draft_package_number(planned_at: str) -> str:
    """The package number a preview shows in place of the one execution will mint."""
    return f"DRAFT-{planned_at[:4]}"


async def invoice_preview(ctx: Context, export_id: str, plan_hash: str) -> bytes:
    """The DRAFT invoice (HTML) of the export's current plan, which must be `plan_hash`."""
    export = await guards.load(ctx, export_id)
    if export.plan_hash != plan_hash:
        raise Conflict(
            "PLAN_HASH_MISMATCH",
            "The plan changed since this page was loaded.",
            details={"currentPlanHash": export.plan_hash},
        )
    if export.status not in PREVIEWABLE:
        raise Conflict(
            "INVALID_EXPORT_STATE",
            "Execution has begun: read the customs package's invoice instead.",
            details={"status": export.status, "customsPackageId": export.customs_package_id},
        )
    await guards.refuse_outdated(ctx, export)
    async with ctx.connect() as conn:
        source = await load_package_source(
            conn, export.warehouse_id, export.broker_id, export.plan.included_order_ids
        )
    data = package_data(
        export.plan,
        source,
        export_id=export.id,
        destination_country=export.destination_country,
        package_number=draft_package_number(export.plan.planned_at),
        package_id=DRAFT_PACKAGE_ID,
    )
    invoice = build_invoice(data)
    rendered = await asyncio.to_thread(render_invoice_html, invoice, draft=True)
    return rendered.content
