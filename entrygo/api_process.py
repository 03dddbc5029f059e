"""`entrygo api`: the HTTP API under uvicorn, on uvloop with httptools (docs/decisions.md).

With ENTRYGO_API_PROCESSES above 1, uvicorn's supervisor starts that many processes on the one
listening socket (each a fresh interpreter building its app with `served_app`), replaces one that
dies, and stops them all on SIGTERM; one that cannot start stops them all, and `entrygo api` exits
with uvicorn's startup-failure status. Their metrics go to files in a directory of this run, so
that /metrics, whichever process answers it, sums them all (docs/decisions.md, "The API in
several processes").
"""

import ctypes
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from config.settings import Settings, load_settings
from entrygo.gc_tuning import tune_gc
from observability.exposition import MULTIPROCESS_DIR_ENV, SUPERVISOR_ENV
from observability.logs import logging_from_settings
from observability.tracing import Tracing, tracing_from_settings

# Seconds an idle HTTP connection stays open (uvicorn's default is 5). Longer than a client's
# pool keeps one (httpx drops its own after 5 s: a client sending as the server closed got a
# ReadError with no answer) and than a load balancer's idle timeout (commonly 60 s) in front.
KEEP_ALIVE_SECONDS = 65

FACTORY = "entrygo.api_process:served_app"
_PR_SET_PDEATHSIG = 1  # prctl(2)


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "loop": "uvloop",
        "http": "httptools",
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # an event stream never ends by itself: past this, a stop closes what is still open
        "timeout_graceful_shutdown": settings.api_shutdown_grace_seconds,
        "log_config": None,  # our handlers (JSON lines) format uvicorn's records too
        "access_log": False,  # the gateway writes one access line per request
    }


def serve_api(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, from one process or from `settings.api_processes`."""
    if settings.api_processes > 1:
        _serve_many(settings)
    else:
        uvicorn.run(_built_app(settings), **_uvicorn_options(settings))


def _serve_many(settings: Settings) -> None:
    metrics = tempfile.mkdtemp(prefix="entrygo-api-metrics-")
    # the processes inherit both at their start: where their metrics go, and whom not to outlive
    os.environ[MULTIPROCESS_DIR_ENV] = metrics
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    config = uvicorn.Config(
        FACTORY, factory=True, workers=settings.api_processes, **_uvicorn_options(settings)
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    # the supervisor's own lines ("Child process [n] died", its stop) are what an operator needs
    logging.getLogger("uvicorn.error").setLevel(logging.INFO)
    try:
        supervisor.run()
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        raise SystemExit(STARTUP_FAILURE)


def served_app() -> FastAPI:
    """The app of one of several API processes, set up as `entrygo api` sets up its one: the
    settings from the environment and JSON logs, then `_built_app`."""
    _stop_with_supervisor()
    settings = load_settings()
    logging_from_settings("api", settings)
    return _built_app(settings)


def _built_app(settings: Settings) -> FastAPI:
    # imported here: a supervisor of several processes never serves, and loads none of the app
    from api.app import create_app  # noqa: PLC0415

    tune_gc()
    tracing = tracing_from_settings(settings, "entrygo-api")
    app = create_app(settings, tracing)
    if tracing is not None:
        _shut_down_with(app, tracing)
    return app


def _shut_down_with(app: FastAPI, tracing: Tracing) -> None:
    """Flush and stop tracing as the app's lifespan ends: uvicorn ends a process stopped by a
    signal by raising that signal again, which runs no `finally` after it and no atexit."""
    lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def then_tracing(served: FastAPI) -> AsyncIterator[Any]:
        try:
            async with lifespan(served) as state:
                yield state
        finally:
            tracing.shutdown()

    app.router.lifespan_context = then_tracing


def _stop_with_supervisor() -> None:
    """Have the kernel send SIGTERM to this process when its supervisor dies (killed, say), so
    that no process of a stopped API goes on holding the port."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor is not None and os.getppid() != int(supervisor):  # it died before the prctl
        os.kill(os.getpid(), signal.SIGTERM)
