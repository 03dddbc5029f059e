"""OpenTelemetry traces: on when OTEL_EXPORTER_OTLP_ENDPOINT is set, nothing otherwise.

One export is one trace: the plan request's span is the parent of the workflow's start; the
Temporal interceptor carries the context through the workflow to every activity, and the httpx
instrumentation sends it on as a W3C `traceparent` to the broker and the warehouse. asyncpg
calls are spans of whatever ran them.

The tracer provider is not made global: every instrumentation is handed it, so a test can trace
one app and one worker with an in-memory exporter while the rest of the process traces nothing.
"""

import os
import socket
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from config import __version__
from config.settings import Settings


@dataclass
class Tracing:
    """A process's tracer provider and what it instrumented (so a test can undo it)."""

    provider: TracerProvider

    def tracer(self, name: str = "entrygo") -> trace.Tracer:
        """A tracer of this provider."""
        return self.provider.get_tracer(name, __version__)

    def temporal_interceptor(self) -> Any:
        """The Temporal client/worker interceptor that carries this provider's context."""
        from temporalio.contrib.opentelemetry import TracingInterceptor  # noqa: PLC0415

        return TracingInterceptor(self.tracer("temporalio"))

    def instrument_app(self, app: Any) -> None:
        """Spans for every request the FastAPI app answers (route template as the name)."""
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls="/metrics,/api/system/live",
            exclude_spans=["receive", "send"],  # one span per ASGI message says nothing more
        )

    def shutdown(self) -> None:
        """Flush what is buffered and stop; undo the library instrumentation."""
        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
        HTTPXClientInstrumentor().uninstrument()
        self.provider.shutdown()


def resource(service: str) -> Resource:
    """Who made the spans: the service, this process and host (processes differ in a trace that
    crosses them)."""
    return Resource.create(
        {
            "service.name": service,
            "service.version": __version__,
            "service.instance.id": f"{socket.gethostname()}:{os.getpid()}",
            "process.pid": os.getpid(),
        }
    )


def start_tracing(service: str, processor: SpanProcessor) -> Tracing:
    """Trace this process into `processor`: asyncpg and httpx everywhere, the app and Temporal
    where the caller wires the returned Tracing in."""
    provider = TracerProvider(resource=resource(service))
    provider.add_span_processor(processor)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    return Tracing(provider)


def otlp_exporter(endpoint: str) -> SpanExporter:
    """OTLP over HTTP (protobuf) to `<endpoint>/v1/traces`."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def tracing_from_settings(settings: Settings, service: str) -> Tracing | None:
    """Tracing to the OTLP endpoint when one is set, else None (and nothing instrumented)."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    name = settings.otel_service_name or service
    return start_tracing(
        name, BatchSpanProcessor(otlp_exporter(settings.otel_exporter_otlp_endpoint))
    )
