"""`entrygo api`: the HTTP API under uvicorn, on uvloop with httptools (docs/decisions.md)."""

import uvicorn

from api.app import create_app
from config.settings import Settings
from entrygo.gc_tuning import tune_gc
from observability.tracing import tracing_from_settings

# Seconds an idle HTTP connection stays open (uvicorn's default is 5). Longer than a client's
# pool keeps one (httpx drops its own after 5 s: a client sending as the server closed got a
# ReadError with no answer) and than a load balancer's idle timeout (commonly 60 s) in front.
KEEP_ALIVE_SECONDS = 65


def serve_api(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM."""
    tracing = tracing_from_settings(settings, "entrygo-api")
    tune_gc()
    try:
        uvicorn.run(
            create_app(settings, tracing),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            loop="uvloop",
            http="httptools",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            log_config=None,  # our handlers (JSON lines) format uvicorn's records too
            access_log=False,  # the gateway writes one access line per request
        )
    finally:
        if tracing is not None:
            tracing.shutdown()
