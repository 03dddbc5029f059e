"""The Grafana dashboard (deploy/grafana/entrygo.json) asks only for metrics that exist: ours
(observability.metrics.NAMES) and the Temporal SDK's that a worker was seen to export."""

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from config.settings import Settings
from domain.status import ExportStatus
from observability.metrics import NAMES, REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "entrygo.json"
OPERATIONS = ROOT / "docs" / "operations.md"

# Seen on a worker's metrics page (temporalio 1.35.0, its core SDK, with PrometheusConfig's
# defaults as entrygo/worker.py sets it up: counters without a _total suffix, durations as
# histograms in milliseconds without a unit suffix). test_the_sdk_still_exports_them checks the
# ones the dashboard uses against a live worker.
TEMPORAL_SDK_METRICS = frozenset(
    {
        "temporal_activity_execution_failed",
        "temporal_activity_execution_latency_bucket",
        "temporal_activity_execution_latency_count",
        "temporal_activity_execution_latency_sum",
        "temporal_activity_schedule_to_start_latency_bucket",
        "temporal_activity_schedule_to_start_latency_count",
        "temporal_activity_schedule_to_start_latency_sum",
        "temporal_activity_succeed_endtoend_latency_bucket",
        "temporal_activity_succeed_endtoend_latency_count",
        "temporal_activity_succeed_endtoend_latency_sum",
        "temporal_activity_task_received",
        "temporal_long_request",
        "temporal_long_request_latency_bucket",
        "temporal_long_request_latency_count",
        "temporal_long_request_latency_sum",
        "temporal_num_pollers",
        "temporal_request",
        "temporal_request_latency_bucket",
        "temporal_request_latency_count",
        "temporal_request_latency_sum",
        "temporal_sticky_cache_hit",
        "temporal_sticky_cache_size",
        "temporal_worker_start",
        "temporal_worker_task_slots_available",
        "temporal_worker_task_slots_used",
        "temporal_workflow_completed",
        "temporal_workflow_endtoend_latency_bucket",
        "temporal_workflow_endtoend_latency_count",
        "temporal_workflow_endtoend_latency_sum",
        "temporal_workflow_task_execution_latency_bucket",
        "temporal_workflow_task_execution_latency_count",
        "temporal_workflow_task_execution_latency_sum",
        "temporal_workflow_task_queue_poll_succeed",
        "temporal_workflow_task_replay_latency_bucket",
        "temporal_workflow_task_replay_latency_count",
        "temporal_workflow_task_replay_latency_sum",
        "temporal_workflow_task_schedule_to_start_latency_bucket",
        "temporal_workflow_task_schedule_to_start_latency_count",
        "temporal_workflow_task_schedule_to_start_latency_sum",
    }
)

PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "group_left", "group_right", "inf", "nan"}
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def histograms() -> set[str]:
    return {family.name for family in REGISTRY.collect() if family.type == "histogram"}


def our_names() -> set[str]:
    suffixed = {f"{name}{s}" for name in histograms() for s in ("_bucket", "_sum", "_count")}
    return set(NAMES) | suffixed


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = GROUPING.sub(" ", text)  # label names of by (...) and friends
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("("):  # a function or an aggregation
            continue
        if match.group().lower() not in PROMQL_WORDS:
            names.add(match.group())
    return names


def matchers(expr: str) -> Iterator[tuple[str, str, str, str]]:
    """(metric, label, operator, value) of every matcher of every selector."""
    for selector in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}", expr):
        for label, op, value in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', selector[2]):
            yield selector[1], label, op, value


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def panels() -> list[dict[str, Any]]:
    found = []
    for panel in dashboard()["panels"]:
        found += [panel, *panel.get("panels", [])]
    return [p for p in found if p.get("type") != "row"]


def exprs() -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in panels() for t in p.get("targets", [])]


def test_the_extractor() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (route, le) (rate(entrygo_http_request_duration_seconds"
        '_bucket{route!="x"}[5m]))) / on (route) group_left sum(rate(b_total[1m])) > bool 0'
    )
    assert metric_names(expr) == {"entrygo_http_request_duration_seconds_bucket", "b_total"}
    assert metric_names('max(entrygo_exports{status=~"A|B"})') == {"entrygo_exports"}
    assert list(matchers('x{a="1", b=~"2|3"}')) == [("x", "a", "=", "1"), ("x", "b", "=~", "2|3")]


def test_every_metric_of_every_panel_exists() -> None:
    assert exprs()
    known = our_names() | TEMPORAL_SDK_METRICS
    unknown = []
    for title, expr in exprs():
        names = metric_names(expr)
        assert names, f"{title}: no metric in {expr}"
        unknown += [f"{title}: {n}" for n in sorted(names - known)]
    assert unknown == []


def test_the_operations_guide_names_only_metrics_that_exist() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("\n## Dashboards\n", 1)[1].split("\n## ", 1)[0]
    known = our_names() | TEMPORAL_SDK_METRICS
    named = {
        name
        for span in re.findall(r"`([^`]+)`", section)
        for name in metric_names(span)
        if name.startswith(("entrygo_", "temporal_")) and not name.endswith("_")  # `temporal_*`
    }
    assert len(named) >= 10
    assert named - known == set()


def test_label_values_are_ones_the_service_sets() -> None:
    statuses = {s.value for s in ExportStatus}
    helps = {family.name: family.documentation for family in REGISTRY.collect()}
    for title, expr in exprs():
        for metric, label, _, value in matchers(expr):
            values = [v for v in value.split("|") if v and not re.search(r"[.*+?\\]", v)]
            if metric == "entrygo_exports" and label == "status":
                assert set(values) <= statuses, f"{title}: {value}"
            elif label == "outcome" and metric.startswith("entrygo_"):
                family = metric.removesuffix("_total")
                for v in values:  # the outcomes are listed in each metric's help text
                    assert re.search(rf"\b{v}\b", helps[family]), f"{title}: {metric} {v}"


def test_the_dashboard_answers_its_three_questions() -> None:
    data = dashboard()
    assert [i["name"] for i in data["__inputs"]] == ["DS_PROMETHEUS"]
    rows = [p["title"] for p in data["panels"] if p["type"] == "row"]
    assert rows == ["Is it healthy?", "What is stuck?", "Is the broker failing?"]
    for panel in panels():
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    used = {n for _, e in exprs() for n in metric_names(e)}
    # each metric the service defines is on the dashboard, and the SDK's slots and queue wait
    assert set(NAMES) <= {n.removesuffix("_bucket") for n in used}
    assert {
        "temporal_worker_task_slots_available",
        "temporal_workflow_task_schedule_to_start_latency_bucket",
        "temporal_activity_schedule_to_start_latency_bucket",
        "temporal_activity_execution_failed",
    } <= used


# ---------------------------------------------------------------- the SDK's names, live

_attempts: dict[str, int] = {}


@activity.defn(name="dashboard_probe")
async def dashboard_probe(key: str) -> str:
    _attempts[key] = _attempts.get(key, 0) + 1
    if _attempts[key] == 1:
        raise RuntimeError("the first attempt fails, so failures are counted")
    return key


@workflow.defn(name="DashboardProbe")
class DashboardProbe:
    @workflow.run
    async def run(self, key: str) -> str:
        return str(
            await workflow.execute_activity(
                dashboard_probe,
                key,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)),
            )
        )


def page_names(text: str) -> set[str]:
    return {
        re.split(r"[{\s]", line, maxsplit=1)[0]
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_the_sdk_still_exports_them(temporal_env: WorkflowEnvironment) -> None:
    from entrygo.worker import sdk_runtime

    runtime, port = sdk_runtime(Settings(worker_metrics_port=9464))
    assert runtime is not None
    assert port is not None
    target = temporal_env.client.service_client.config.target_host
    client = await Client.connect(target, runtime=runtime)
    queue = f"dashboard-{uuid.uuid4().hex[:8]}"
    used = {n for _, e in exprs() for n in metric_names(e) if n.startswith("temporal_")}
    seen: set[str] = set()
    async with Worker(
        client,
        task_queue=queue,
        workflows=[DashboardProbe],
        activities=[dashboard_probe],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        key = uuid.uuid4().hex
        result = await client.execute_workflow(
            DashboardProbe.run, key, id=f"dashboard-{key}", task_queue=queue
        )
        assert result == key
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                page = await http.get(f"http://127.0.0.1:{port}/metrics")
                seen = page_names(page.text)
                if used <= seen:
                    break
                await asyncio.sleep(0.1)
    assert used - seen == set()
    assert used <= TEMPORAL_SDK_METRICS
