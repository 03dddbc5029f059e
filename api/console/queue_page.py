"""The console's home: Awaiting review (the nearest review deadline first), Needs attention and
Broker requests, with filters that are GET parameters (a view can be bookmarked) and the
selection of exports decided together (`queue_forms.py` takes it)."""

import hashlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.render import page
from api.console.signed_in import PREFIX, Answer, Filter, message_page, signed_in
from api.deps import RuntimeDep
from services.context import Context, Intent, Runtime
from services.exports import queue
from services.exports.queue import HolderFilter, QueueQuery, Queues
from services.sessions import Session

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_FILTER = 100
MAX_CLUSTER = 2000
HOLDERS: dict[str, HolderFilter] = {"me": "me", "nobody": "nobody", "leads": "leads"}
SORTS = {"deadline": "deadline", "waiting": "waiting"}


def bulk_form_key(session: Session, found: Queues) -> str:
    """The key of the bulk decision form: the same while the rows it shows are unchanged (a live
    refresh keeps the page as it is), another once a decision changed them."""
    rows = [f"{i.export.id}={i.export.plan_hash}:{i.export.approval.state}" for i in found.awaiting]
    material = "\x1f".join([session.csrf_token, "bulk", *rows])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


async def queue_response(
    request: Request,
    rt: Runtime,
    session: Session,
    query: QueueQuery,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    """The queue page for `query`, with an error and the status to answer it with."""
    found = await queue.queues(Context(rt, Intent(session.principal)), query)
    chosen = {
        "warehouse": query.warehouse_id,
        "broker": query.broker_id,
        "code": query.reason_code,
        "holder": query.holder,
        "cluster": query.cluster,
        "sort": query.sort if query.sort != "deadline" else None,
    }
    return page(
        request,
        "queue.html.j2",
        status,
        session=session,
        queues=found,
        chosen=chosen,
        filtered=any(v for k, v in chosen.items() if k != "sort"),
        # the view as GET parameters, for the forms that come back to it
        view={k: v for k, v in chosen.items() if v},
        bulk_key=bulk_form_key(session, found),
        error=error,
    )


def queue_query(
    warehouse: str | None,
    broker: str | None,
    code: str | None,
    holder: str | None,
    cluster: str | None,
    sort: str | None,
) -> QueueQuery | None:
    """The view the parameters ask for; None when one of them is not a filter of the page."""
    single = (warehouse, broker, code)
    if any(v is not None and len(v) > MAX_FILTER for v in single):
        return None
    if len(cluster or "") > MAX_CLUSTER:
        return None
    if (holder or "") not in ("", *HOLDERS) or (sort or "") not in ("", *SORTS):
        return None
    return QueueQuery(
        warehouse_id=warehouse or None,
        broker_id=broker or None,
        reason_code=code or None,
        holder=HOLDERS.get(holder or ""),
        cluster=cluster or None,
        sort="waiting" if sort == "waiting" else "deadline",
    )


@router.get("")
async def queue_page(
    request: Request,
    rt: RuntimeDep,
    warehouse: Filter = None,
    broker: Filter = None,
    code: Filter = None,
    holder: Filter = None,
    cluster: Filter = None,
    sort: Filter = None,
) -> Response:
    """Awaiting review (the nearest deadline first), Needs attention and Broker requests."""
    try:
        session = await signed_in(request, rt)
    except Answer as stop:
        return stop.response
    query = queue_query(warehouse, broker, code, holder, cluster, sort)
    if query is None:
        return message_page(
            request, 400, "Bad filter", "A filter value is too long or not one of its choices."
        )
    return await queue_response(request, rt, session, query)
