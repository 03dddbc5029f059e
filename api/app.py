"""The FastAPI application: lifespan owns the pool and the Temporal gate; routers per noun."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.console import pages as console_pages
from api.docs import OPENAPI_URL, install_docs
from api.errors import install_error_handlers
from api.gateway import Gateway
from api.idempotency import install_replay_handler
from api.openapi import error_responses, install_openapi
from api.ratelimit import RateLimiter
from api.routes import (
    audit,
    broker_requests,
    brokers,
    callbacks,
    destinations,
    events,
    evidence,
    exports,
    keys,
    metrics,
    operations,
    orders,
    packages,
    products,
    review,
    review_work,
    system,
    warehouses,
    webhooks,
)
from config import __version__
from config.settings import Settings
from observability.tracing import Tracing
from services import sessions
from services.event_signals import EventSignals
from services.metrics import DatabaseGauges
from services.temporal import TemporalGate
from store.db import Pool
from store.idempotency import purge_expired
from store.pool import create_pool
from store.ratelimit import purge_past_windows

log = logging.getLogger("entrygo.api")

DESCRIPTION = (
    "EntryGo Export Protocol v1: sync orders, plan an export, execute the approved batch, "
    "inspect its state. Authenticate with `Authorization: Bearer <key>`."
)


PURGE_EVERY_SECONDS = 600


async def purge_expired_records(pool: Pool) -> None:
    """Delete expired idempotency records and ended console sessions every few minutes, for the
    life of the process."""
    while True:
        try:
            removed = await purge_expired(pool)
            if removed:
                log.info("purged %d expired idempotency keys", removed)
            ended = await sessions.purge_ended(pool)
            if ended:
                log.info("purged %d ended console sessions", ended)
            await purge_past_windows(pool)  # the rate limit's ended windows
        except Exception:  # the database may be down for a while; try again next round
            log.warning("could not purge idempotency keys", exc_info=True)
        await asyncio.sleep(PURGE_EVERY_SECONDS)


def create_app(settings: Settings, tracing: Tracing | None = None) -> FastAPI:
    """Build the app for the given settings; with `tracing`, every request, its database calls
    and its workflow calls are spans."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url is None:
            raise RuntimeError("database_url is not set")
        app.state.pool = await create_pool(
            settings.database_url, min_size=settings.db_pool_min, max_size=settings.db_pool_max
        )
        janitor = asyncio.create_task(purge_expired_records(app.state.pool))
        app.state.signals = EventSignals(app.state.pool)
        stop_listening = asyncio.Event()
        listener = asyncio.create_task(app.state.signals.run(stop_listening))
        try:
            yield
        finally:
            janitor.cancel()
            stop_listening.set()
            await listener
            await app.state.pool.close()

    app = FastAPI(
        title="EntryGo",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=OPENAPI_URL,
        docs_url=None,  # install_docs serves the pages with local assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.temporal = TemporalGate(
        settings, interceptors=[tracing.temporal_interceptor()] if tracing else []
    )
    app.state.gauges = DatabaseGauges(settings.exports_gauge_cache_seconds)
    # read by the principal dependency (api/deps.py): every authenticated request counts
    app.state.limiter = (
        RateLimiter(settings.rate_limit_per_minute) if settings.rate_limit_enabled else None
    )
    install_error_handlers(app)
    install_replay_handler(app)
    for router in (
        system.router,
        products.router,
        orders.router,
        exports.router,
        review.router,
        review_work.router,
        broker_requests.router,
        packages.router,
        callbacks.router,
        warehouses.router,
        brokers.router,
        keys.router,
        webhooks.router,
        events.router,
        destinations.router,
        operations.router,
        evidence.router,
        audit.router,
    ):
        app.include_router(router, responses=error_responses())
    app.include_router(console_pages.router)
    app.include_router(metrics.router)
    install_openapi(app)
    install_docs(app)
    app.add_middleware(
        Gateway,
        body_limit=settings.body_limit_bytes,
        answer_limit=settings.answer_body_limit_bytes,
    )
    if tracing is not None:
        tracing.instrument_app(app)  # outermost: the request's span encloses everything else
    return app
