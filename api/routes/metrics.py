"""GET /metrics: the process's Prometheus metrics (unauthenticated, outside the contract; scrape
it from inside the deployment, like the worker's metrics port)."""

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from observability.exposition import service_text

log = logging.getLogger("entrygo.api")

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def get_metrics(request: Request) -> Response:
    """The service's metrics; the database gauges are read again when older than a few
    seconds (and kept at their last values while the database is down)."""
    try:
        await request.app.state.gauges.refresh(request.app.state.pool)
    except Exception:  # the request metrics are worth serving without the gauges
        log.warning("could not read the database gauges", exc_info=True)
    return Response(service_text(), media_type=CONTENT_TYPE_LATEST)
