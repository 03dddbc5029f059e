"""`entrygo api`: the HTTP API under uvicorn, on uvloop with httptools (docs/decisions.md).

With ENTRYGO_API_PROCESSES above 1, uvicorn's supervisor starts that many processes on the one
listening socket (each a fresh interpreter building its app with `served_app`), replaces one that
dies, and stops them all on SIGTERM. Their metrics go to files in a directory of this run, so that
/metrics, whichever process answers it, sums them all (docs/decisions.md, "The API in several
processes").
"""

import atexit
import ctypes
import os
import shutil
import signal
import tempfile
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from config.settings import Settings, load_settings
from entrygo.gc_tuning import tune_gc
from observability.exposition import MULTIPROCESS_DIR_ENV
from observability.logs import logging_from_settings
from observability.tracing import tracing_from_settings

# Seconds an idle HTTP connection stays open (uvicorn's default is 5). Longer than a client's
# pool keeps one (httpx drops its own after 5 s: a client sending as the server closed got a
# ReadError with no answer) and than a load balancer's idle timeout (commonly 60 s) in front.
KEEP_ALIVE_SECONDS = 65

FACTORY = "entrygo.api_process:served_app"
SUPERVISOR_ENV = "ENTRYGO_API_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1  # prctl(2)


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "loop": "uvloop",
        "http": "httptools",
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "log_config": None,  # our handlers (JSON lines) format uvicorn's records too
        "access_log": False,  # the gateway writes one access line per request
    }


def serve_api(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM, from one process or from `settings.api_processes`."""
    if settings.api_processes > 1:
        _serve_many(settings)
        return
    tracing = tracing_from_settings(settings, "entrygo-api")
    tune_gc()
    try:
        uvicorn.run(create_app(settings, tracing), **_uvicorn_options(settings))
    finally:
        if tracing is not None:
            tracing.shutdown()


def _serve_many(settings: Settings) -> None:
    metrics = tempfile.mkdtemp(prefix="entrygo-api-metrics-")
    # the processes inherit both at their start: where their metrics go, and whom to outlive not
    os.environ[MULTIPROCESS_DIR_ENV] = metrics
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    try:
        uvicorn.run(
            FACTORY, factory=True, workers=settings.api_processes, **_uvicorn_options(settings)
        )
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


def served_app() -> FastAPI:
    """The app of one of several API processes, set up as `entrygo api` sets up its one: the
    settings from the environment, JSON logs, the collector's tuning, and tracing."""
    _stop_with_supervisor()
    settings = load_settings()
    logging_from_settings("api", settings)
    tune_gc()
    tracing = tracing_from_settings(settings, "entrygo-api")
    if tracing is not None:
        atexit.register(tracing.shutdown)
    return create_app(settings, tracing)


def _stop_with_supervisor() -> None:
    """Have the kernel send SIGTERM to this process when its supervisor dies (killed, say), so
    that no process of a stopped API goes on holding the port."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor is not None and os.getppid() != int(supervisor):  # it died before the prctl
        os.kill(os.getpid(), signal.SIGTERM)
