"""The console's home: Awaiting review (oldest first) and Needs attention, with filters."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.console.render import page
from api.console.signed_in import PREFIX, Answer, Filter, message_page, signed_in
from api.deps import RuntimeDep
from services.context import Context, Intent
from services.exports import queue

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_FILTER = 100


@router.get("")
async def queue_page(
    request: Request,
    rt: RuntimeDep,
    warehouse: Filter = None,
    broker: Filter = None,
    code: Filter = None,
) -> Response:
    """Awaiting review (oldest first) and Needs attention."""
    try:
        session = await signed_in(request, rt)
    except Answer as stop:
        return stop.response
    chosen = {"warehouse": warehouse or None, "broker": broker or None, "code": code or None}
    if any(len(v) > MAX_FILTER for v in chosen.values() if v):
        return message_page(request, 400, "Bad filter", "A filter value is too long.")
    found = await queue.queues(
        Context(rt, Intent(session.principal)),
        warehouse_id=chosen["warehouse"],
        broker_id=chosen["broker"],
        reason_code=chosen["code"],
    )
    return page(request, "queue.html.j2", session=session, queues=found, chosen=chosen)
