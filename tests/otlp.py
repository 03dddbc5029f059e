"""An OTLP/HTTP trace receiver on loopback: what a tracing backend would be sent, decoded."""

from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as exported: ids in hex, the exporting process's service name and pid."""

    trace_id: str
    span_id: str
    parent_id: str
    name: str
    service: str
    pid: int


class OtlpReceiver:
    """Accepts POST /v1/traces (protobuf) and keeps every span."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def traces(request: Request) -> Response:
            message = ExportTraceServiceRequest()
            message.ParseFromString(await request.body())
            for resource_spans in message.resource_spans:
                attributes = {a.key: a.value for a in resource_spans.resource.attributes}
                service = attributes["service.name"].string_value
                pid = int(attributes["process.pid"].int_value) if "process.pid" in attributes else 0
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            ReceivedSpan(
                                span.trace_id.hex(),
                                span.span_id.hex(),
                                span.parent_span_id.hex(),
                                span.name,
                                service,
                                pid,
                            )
                        )
            return Response(
                ExportTraceServiceResponse().SerializeToString(),
                media_type="application/x-protobuf",
            )

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        """Every span of one trace."""
        return [s for s in self.spans if s.trace_id == trace_id]
