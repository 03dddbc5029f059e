"""Worker main: one process polling the export task queue, with graceful shutdown on SIGTERM."""

import asyncio
import logging
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities import build_activities
from activities.outbox import Outbox
from config.settings import Settings
from config.temporal import connect_temporal
from entrygo.gc_tuning import tune_gc
from store.pool import create_pool
from workflows import WORKFLOWS

log = logging.getLogger("entrygo.worker")

GRACEFUL_SHUTDOWN_SECONDS = 30
# Our workflow and its pure dependencies are imported once, not again for every run inside the
# sandbox (that re-import was a third of a plan's CPU). The sandbox still guards the standard
# library; the replay tests guard our own modules' determinism.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "domain")
)


def build_worker(client: Client, task_queue: str, activities: Sequence[Any]) -> Worker:
    """The export worker: ExportWorkflow and the given activity callables."""

    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=list(activities),
        workflow_runner=SANDBOX,
        graceful_shutdown_timeout=timedelta(seconds=GRACEFUL_SHUTDOWN_SECONDS),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM."""
    client = await connect_temporal(settings, attempts=60, delay=0.5)
    if settings.database_url is None:
        raise RuntimeError("database_url is not set")
    pool = await create_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(client, settings.task_queue, build_activities(pool, settings))
    tune_gc()
    # the webhook outbox is drained beside the activities (any number of workers may drain it)
    outbox = asyncio.create_task(Outbox(pool, settings).run(stop))
    async with worker:
        log.info("worker polling %s", settings.task_queue)
        await stop.wait()
    await outbox
    await pool.close()
