"""The outside world of `bench.topology`, served from a thread of the bench process on loopback.

- `Collector`: an OTLP/HTTP trace receiver (`POST /v1/traces`, `application/x-protobuf`, decoded
  with `ExportTraceServiceRequest`) that keeps every span with its process's resource attributes.
- `WarehouseReceiver`: the warehouse's notification endpoint; verifies the signature, counts raw
  deliveries and the distinct notifications (by Idempotency-Key), and keeps the `traceparent`.
- `Balancer`: a TCP load balancer in front of the API processes (what the Kubernetes Service is in
  deploy/k8s): each connection goes to the next API that accepts one. It is the workers'
  ENTRYGO_PUBLIC_BASE_URL, so the broker's callbacks reach a live API while one is down.

`Outside` runs all three in one event loop of their own, so the driver's work never delays them.
"""

import asyncio
import contextlib
import gzip
import json
import threading
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from signing import SIGNATURE_HEADER, SignatureError, verify


@dataclass(frozen=True)
class SpanRecord:
    """One span as the collector received it."""

    trace_id: str
    span_id: str
    parent_span_id: str  # "" for a root
    name: str
    service: str
    pid: int | None
    instance: str
    attributes: dict[str, str]


def _any_value(value: Any) -> str:
    kind = value.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "array_value":
        return ",".join(_any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return ",".join(f"{kv.key}={_any_value(kv.value)}" for kv in value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return str(getattr(value, kind))


def decode_spans(body: bytes) -> list[SpanRecord]:
    """Every span of one OTLP/HTTP protobuf request."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        res = {kv.key: _any_value(kv.value) for kv in resource_spans.resource.attributes}
        pid_text = res.get("process.pid", "")
        pid = int(pid_text) if pid_text.isdigit() else None
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    SpanRecord(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        service=res.get("service.name", ""),
                        pid=pid,
                        instance=res.get("service.instance.id", ""),
                        attributes={kv.key: _any_value(kv.value) for kv in span.attributes},
                    )
                )
    return spans


class Collector:
    """An OTLP/HTTP receiver for traces; spans are kept in memory."""

    def __init__(self) -> None:
        self.spans: list[SpanRecord] = []
        self.requests = 0
        self.refused: list[str] = []  # what it could not read, and why
        self._lock = threading.Lock()

    def snapshot(self) -> list[SpanRecord]:
        """The spans received so far."""
        with self._lock:
            return list(self.spans)

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            body = await request.body()
            encoding = request.headers.get("content-encoding", "").lower()
            kind = request.headers.get("content-type", "")
            try:
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                if not kind.startswith("application/x-protobuf"):
                    raise ValueError(f"content-type {kind!r}, not application/x-protobuf")
                spans = decode_spans(body)
            except Exception as exc:
                with self._lock:
                    self.refused.append(f"{type(exc).__name__}: {exc}"[:200])
                return Response(b"", status_code=400)
            with self._lock:
                self.requests += 1
                self.spans.extend(spans)
            return Response(
                ExportTraceServiceResponse().SerializeToString(),
                media_type="application/x-protobuf",
            )

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])


@dataclass
class WarehouseReceiver:
    """The warehouse system: signed notifications, counted."""

    secret: str
    raw: int = 0
    refused: int = 0
    # Idempotency-Key (the notification id) -> the payload first received and how often it came
    unique: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    traceparents: dict[str, str] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def receive(request: Request) -> JSONResponse:
            body = await request.body()
            key = request.headers.get("idempotency-key", "")
            self.raw += 1
            try:
                verify(self.secret, body, request.headers.get(SIGNATURE_HEADER), int(time.time()))
                payload = json.loads(body)
            except (SignatureError, ValueError) as exc:
                self.refused += 1
                return JSONResponse({"error": str(exc)}, 401)
            self.deliveries[key] += 1
            self.unique.setdefault(key, payload)
            if "traceparent" in request.headers:
                self.traceparents.setdefault(key, request.headers["traceparent"])
            return JSONResponse({"received": True})

        return Starlette(routes=[Route("/notifications", receive, methods=["POST"])])


class Balancer:
    """A TCP load balancer: each connection to the next backend that accepts one."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.turn = 0
        self.connections = 0
        self.failovers = 0  # connections that found their first backend down
        self.unserved = 0  # connections no backend accepted

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.turn += 1
        upstream = None
        for i in range(len(self.backends)):
            port = self.backends[(self.turn + i) % len(self.backends)]
            try:
                upstream = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                self.failovers += 1
        if upstream is None:
            self.unserved += 1
            writer.close()
            return
        up_reader, up_writer = upstream
        await asyncio.gather(
            _pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()


class Outside:
    """Collector, warehouse receiver and balancer in one event loop of a background thread."""

    def __init__(
        self,
        *,
        collector_port: int,
        warehouse_port: int,
        balancer_port: int,
        api_ports: list[int],
        warehouse_secret: str,
    ) -> None:
        self.collector = Collector()
        self.warehouse = WarehouseReceiver(warehouse_secret)
        self.balancer = Balancer(api_ports)
        self.ports = (collector_port, warehouse_port, balancer_port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="topology-outside", daemon=True)

    def start(self) -> None:
        """Serve; return once every server listens."""
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"outside servers failed to start: {self._error}")
        if not self._ready.is_set():
            raise RuntimeError("outside servers did not start")

    def stop(self) -> None:
        """Stop every server and the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        collector_port, warehouse_port, balancer_port = self.ports
        servers = [
            uvicorn.Server(
                uvicorn.Config(
                    app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
                )
            )
            for app, port in (
                (self.collector.app(), collector_port),
                (self.warehouse.app(), warehouse_port),
            )
        ]
        tasks = [asyncio.create_task(s.serve()) for s in servers]
        balancer = await asyncio.start_server(self.balancer.handle, "127.0.0.1", balancer_port)
        for _ in range(500):
            if all(s.started for s in servers):
                break
            if any(t.done() for t in tasks):
                raise RuntimeError("a receiver exited while starting (port taken?)")
            await asyncio.sleep(0.02)
        self._ready.set()
        await self._stop.wait()
        balancer.close()
        for s in servers:
            s.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
