"""One plan → execute is one trace: spans kept by the SDK's in-memory exporter, in this process,
from an app and a worker wired exactly as `entrygo api` and `entrygo worker` wire theirs."""

import asyncio
import uuid
from collections.abc import Sequence

import asyncpg
import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from activities import build_activities
from api.app import create_app
from config.temporal import connect_temporal
from entrygo.worker import build_worker
from observability.tracing import start_tracing
from tests.support.stack import SETTLED, Stack


def _hex(span_id: int) -> str:
    return format(span_id, "016x")


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    """The names of a span's parents, nearest first (every link must resolve)."""
    names = []
    while span.parent is not None:
        assert span.parent.span_id in by_id, (
            f"{span.name}: parent {_hex(span.parent.span_id)} missing"
        )
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, (name, [s.name for s in spans])
    return found[0]


async def test_plan_to_broker_and_warehouse_is_one_connected_trace(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    exporter = InMemorySpanExporter()
    tracing = start_tracing("entrygo-test", SimpleSpanProcessor(exporter))
    settings = stack.settings.model_copy(update={"task_queue": f"traced-{uuid.uuid4().hex[:8]}"})
    try:
        client = await connect_temporal(settings, interceptors=[tracing.temporal_interceptor()])
        worker = build_worker(client, settings.task_queue, build_activities(pool, settings))
        app = create_app(settings, tracing)
        async with (
            worker,
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=30
            ) as api,
        ):
            world = await stack.world(pool, warehouse=stack.webhook_warehouse())
            ids = await world.orders(api, "SKU-SCARF")
            r = await api.post(
                "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
            )
            assert r.status_code == 201, r.text
            export_id = r.json()["exportId"]
            r = await api.post(
                "/api/exports/execute",
                headers=world.tenant.auth(),
                json={"accountId": world.tenant.account_id, "batchId": export_id},
            )
            assert r.status_code in (200, 202), r.text
            for _ in range(600):
                view = (
                    await api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())
                ).json()
                if view["status"] in SETTLED:
                    break
                await asyncio.sleep(0.1)
            assert view["status"] in SETTLED
    finally:
        tracing.shutdown()

    spans = exporter.get_finished_spans()
    plan = one(
        [s for s in spans if s.kind == SpanKind.SERVER and s.name == "POST /api/exports/plan"],
        "POST /api/exports/plan",
    )
    trace = [s for s in spans if s.context.trace_id == plan.context.trace_id]
    by_id = {s.context.span_id: s for s in trace}
    # from the request through the workflow to each activity
    start = one(trace, "StartUpdateWithStartWorkflow:ExportWorkflow")
    assert "POST /api/exports/plan" in ancestors(start, by_id)
    run = [s for s in trace if s.name == "RunWorkflow:ExportWorkflow"]
    assert run
    assert all(start.name in ancestors(s, by_id) for s in run)
    for activity in ("create_customs_package", "send_broker_submission", "notify_warehouse"):
        span = one(trace, f"RunActivity:{activity}")
        assert "POST /api/exports/plan" in ancestors(span, by_id), activity
    # the broker's and the warehouse's POSTs are client spans of their activities, and what
    # they carried is this trace's W3C context
    posts = [s for s in trace if s.kind == SpanKind.CLIENT and s.name == "POST"]
    parents = {by_id[s.parent.span_id].name for s in posts if s.parent is not None}
    assert {"RunActivity:send_broker_submission", "RunActivity:notify_warehouse"} <= parents
    trace_hex = format(plan.context.trace_id, "032x")
    broker_sent = (await stack.broker_stats())["traceparents"]
    assert any(tp.split("-")[1] == trace_hex for tp in broker_sent)
    assert any(tp.split("-")[1] == trace_hex for tp in stack.warehouse_receiver.traceparents)
    # the database calls are spans of what ran them
    assert any(s.attributes and s.attributes.get("db.system") == "postgresql" for s in trace)
