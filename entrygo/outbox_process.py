"""`entrygo outbox`: the webhook outbox in a process of its own, with graceful shutdown on SIGTERM.

A worker busy with workflow tasks and activities delays every step of a delivery that shares its
event loop (`make load`: p50 204 ms from event to receiver inside the worker, 110 ms in a process
of its own; docs/decisions.md). Any number may run: deliveries are leased, never sent twice at
once. Its counters (deliveries, webhook breakers) are served on `outbox_metrics_port`.
"""

import asyncio
import logging
import signal

from activities.outbox import Outbox
from config.settings import Settings
from entrygo.gc_tuning import tune_gc
from observability.exposition import MetricsServer
from store.pool import create_pool

log = logging.getLogger("entrygo.outbox")

POOL_SIZE = 5


async def run_outbox(settings: Settings) -> None:
    """Drain the outbox until SIGINT/SIGTERM; the sends in flight finish first."""
    if settings.database_url is None:
        raise RuntimeError("database_url is not set")
    pool = await create_pool(settings.database_url, min_size=1, max_size=POOL_SIZE)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    metrics = None
    if settings.outbox_metrics_port:
        metrics = MetricsServer(settings.host, settings.outbox_metrics_port, None, "outbox")
        await metrics.start()
    tune_gc()
    log.info("webhook outbox running")
    try:
        await Outbox(pool, settings).run(stop)
    finally:
        if metrics is not None:
            await metrics.close()
        await pool.close()
