"""The audit export of the account's review decisions (docs/evidence.md): JSON pages, or CSV."""

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BeforeValidator

from api.deps import RuntimeDep, require_role
from api.openapi import error_responses
from api.pagination import TimeCursor, read_time_cursor, time_cursor
from api.schemas.evidence import AuditPage
from services.context import Context, Intent
from services.evidence.audit import AuditQuery, audit_csv, audit_page, window
from store.accounts import Principal

router = APIRouter(prefix="/api/audit", tags=["audit"])

CSV = "text/csv"
# who reads people's decisions across the account: reviewers and admins
AuditReader = Annotated[Principal, Depends(require_role("reviewer", "admin"))]
# an RFC 3339 date-time with its zone, as the document declares it (`format: date-time`); the
# parser alone would also take a bare date or a number of seconds
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError("not an RFC 3339 date-time with a zone (2026-11-01T00:00:00Z)")
    return value


When = Annotated[
    datetime | None,
    BeforeValidator(_rfc3339),
    Query(description="RFC 3339 date-time with its zone, e.g. 2026-11-01T00:00:00Z"),
]
AuditLimit = Annotated[int, Query(ge=1, le=1000, description="page size (JSON)")]


def _wants_csv(format_: str | None, accept: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    return CSV in (accept or "").lower()


@router.get(
    "/decisions",
    response_model=AuditPage,
    responses={200: {"content": {CSV: {"schema": {"type": "string"}}}}, **error_responses(403)},
)
async def list_audit_decisions(
    request: Request,
    rt: RuntimeDep,
    principal: AuditReader,
    start: Annotated[When, Query(alias="from")] = None,
    end: Annotated[When, Query(alias="to")] = None,
    cursor: TimeCursor = None,
    limit: AuditLimit = 200,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="`csv` (or `Accept: text/csv`): every row, streamed"),
    ] = None,
) -> Response | AuditPage:
    """Every approval, rejection, request for changes, comment, claim, release and assignment
    in the account from `from` (inclusive) to `to` (exclusive), oldest first; without them the
    last 30 days. JSON pages continue with `nextCursor`; CSV streams every row of the window."""
    ctx = Context(rt, Intent(principal))
    first, last = window(start, end, datetime.now(UTC))
    query = AuditQuery(first, last, read_time_cursor(cursor), limit)
    if _wants_csv(format_, request.headers.get("accept")):
        return StreamingResponse(
            audit_csv(ctx, query),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="decisions.csv"'},
        )
    page = await audit_page(ctx, query)
    next_cursor = time_cursor(*page.last) if page.last else None
    return AuditPage.of(page.data, next_cursor, first, last)
