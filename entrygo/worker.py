"""Worker main: one process polling the export task queue, with graceful shutdown on SIGTERM."""

import asyncio
import logging
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Interceptor, UnsandboxedWorkflowRunner, Worker

from activities import build_activities
from activities.outbox import Outbox
from config.settings import Settings
from config.temporal import connect_temporal
from entrygo.gc_tuning import tune_gc
from observability.exposition import MetricsServer, free_loopback_port
from observability.temporal import ActivityMetrics
from observability.tracing import tracing_from_settings
from store.pool import create_pool
from workflows import WORKFLOWS

log = logging.getLogger("entrygo.worker")

GRACEFUL_SHUTDOWN_SECONDS = 30
# Workflows run outside the sandbox. With our own modules passed through (as they must be: their
# re-import per run was a third of a plan's CPU) the sandbox guarded none of our code, yet its
# per-activation and per-payload `exec` cost a sixth of the worker's CPU. Determinism is guarded
# where it can be: the workflow tests run ExportWorkflow in the SDK's strict default sandbox
# (tests/support/standins.py), the replay tests replay recorded histories, and an architecture
# test refuses a clock, randomness or I/O in workflows/ and domain/ (docs/decisions.md).
RUNNER = UnsandboxedWorkflowRunner()


def build_worker(
    client: Client,
    task_queue: str,
    activities: Sequence[Any],
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """The export worker: ExportWorkflow and the given activity callables. Activity attempts are
    counted; the client's own interceptors (tracing) apply as well."""

    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=list(activities),
        workflow_runner=RUNNER,
        interceptors=[ActivityMetrics(), *interceptors],
        graceful_shutdown_timeout=timedelta(seconds=GRACEFUL_SHUTDOWN_SECONDS),
    )


def sdk_runtime(settings: Settings) -> tuple[Runtime | None, int | None]:
    """With a metrics port, a Temporal runtime whose own metrics are served on a loopback port
    (appended to the worker's /metrics page); else the default runtime."""
    if not settings.worker_metrics_port:
        return None, None
    port = free_loopback_port()
    config = TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"))
    return Runtime(telemetry=config), port


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT/SIGTERM."""
    tracing = tracing_from_settings(settings, "entrygo-worker")
    runtime, sdk_port = sdk_runtime(settings)
    client = await connect_temporal(
        settings,
        attempts=60,
        delay=0.5,
        runtime=runtime,
        interceptors=[tracing.temporal_interceptor()] if tracing else [],
    )
    if settings.database_url is None:
        raise RuntimeError("database_url is not set")
    pool = await create_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(client, settings.task_queue, build_activities(pool, settings))
    metrics = None
    if settings.worker_metrics_port:
        metrics = MetricsServer(settings.host, settings.worker_metrics_port, sdk_port)
        await metrics.start()
    tune_gc()
    # the webhook outbox is drained beside the activities unless `entrygo outbox` runs it
    outbox = (
        asyncio.create_task(Outbox(pool, settings).run(stop)) if settings.worker_outbox else None
    )
    async with worker:
        log.info("worker polling %s", settings.task_queue)
        await stop.wait()
    if outbox is not None:
        await outbox
    if metrics is not None:
        await metrics.close()
    await pool.close()
    if tracing is not None:
        tracing.shutdown()
