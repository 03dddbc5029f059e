"""The Prometheus text of a process (or of all the API's processes), and the worker's small
`/metrics` server.

The worker's page is the service's registry followed by the Temporal SDK's own worker metrics,
which the SDK's runtime serves on a loopback port of its own (`PrometheusConfig`); one port per
process is what the deploy files scrape.
"""

import asyncio
import contextlib
import logging
import os
import socket
import urllib.request

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from observability.metrics import REGISTRY

log = logging.getLogger("entrygo.metrics")

READ_LIMIT_SECONDS = 5.0


# prometheus_client's own switch: set before it is imported, each process of the API writes its
# values to files in this directory (entrygo/api_process.py), and any one of them reads them all
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
# the pid of the supervisor of the API's processes, set by it for them: only then are the files
# the processes' of this run (a directory given from outside may hold an earlier run's)
SUPERVISOR_ENV = "ENTRYGO_API_SUPERVISOR_PID"


def service_text() -> bytes:
    """The service's metrics in the Prometheus text format: this process's, or, when the API
    runs in several processes, the sum of them all (whichever one the scrape reached)."""
    if os.environ.get(SUPERVISOR_ENV) and os.environ.get(MULTIPROCESS_DIR_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def free_loopback_port() -> int:
    """A port nothing listens on now (for the SDK runtime's own exporter)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# loopback only: never through an HTTP proxy the environment names
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _read(url: str) -> bytes:
    try:
        with _OPENER.open(url, timeout=READ_LIMIT_SECONDS) as response:
            return bytes(response.read())
    except OSError:  # refused, timed out, or an HTTP error status
        return b""


async def fetch_text(host: str, port: int) -> bytes:
    """GET /metrics from a loopback exporter; empty when it does not answer."""
    return await asyncio.to_thread(_read, f"http://{host}:{port}/metrics")


class MetricsServer:
    """Serves GET /metrics (and /health) on host:port until closed."""

    def __init__(self, host: str, port: int, sdk_port: int | None, process: str = "worker") -> None:
        self.host, self.port, self.sdk_port, self.process = host, port, sdk_port, process
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        log.info("%s metrics on http://%s:%d/metrics", self.process, self.host, self.port)

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def page(self) -> bytes:
        """The service's metrics and the SDK's."""
        sdk = await fetch_text("127.0.0.1", self.sdk_port) if self.sdk_port else b""
        return service_text() + sdk

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_LIMIT_SECONDS)
            target = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
            path = target.split(b"?", 1)[0]
            if path == b"/metrics":
                status, kind, body = b"200 OK", CONTENT_TYPE_LATEST.encode(), await self.page()
            elif path == b"/health":
                status, kind, body = b"200 OK", b"text/plain", b"ok\n"
            else:
                status, kind, body = b"404 Not Found", b"text/plain", b"not found\n"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind
                + b"\r\nContent-Length: " + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n" + body
            )  # fmt: skip
            await writer.drain()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
