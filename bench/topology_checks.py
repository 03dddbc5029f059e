"""The checks `bench.topology` makes after its run, and the table it prints.

Each check reads what the stores hold (PostgreSQL via asyncpg) or what the outside world saw (the
sandbox broker's stats, the warehouse receiver, the OTLP collector, each process's /metrics);
none trusts the service's own view of itself.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench.faults_checks import EVENTS_SQL, FINAL_EVENTS, ONCE_EVENTS, markdown_table
from bench.topology_outside import SpanRecord, WarehouseReceiver

FINAL_OK = "COMPLETED"  # domain/status.py: the broker accepted; EXECUTED waits for that
EXPORT_ID = re.compile(r"exp_[0-9A-Za-z]{26}")

ROWS_SQL = """
SELECT e.id, e.status,
       (SELECT count(*) FROM customs_packages p WHERE p.export_id = e.id) AS packages,
       (SELECT count(*) FROM broker_submissions s WHERE s.export_id = e.id) AS submissions,
       (SELECT min(s.id) FROM broker_submissions s WHERE s.export_id = e.id) AS submission_id,
       (SELECT min(s.status) FROM broker_submissions s WHERE s.export_id = e.id) AS sub_status,
       (SELECT count(*) FROM notifications n WHERE n.export_id = e.id) AS notifications,
       (SELECT min(n.id) FROM notifications n WHERE n.export_id = e.id) AS notification_id,
       (SELECT min(n.status) FROM notifications n WHERE n.export_id = e.id) AS note_status
  FROM exports e WHERE e.account_id = $1
"""


@dataclass
class Check:
    """One line of the table."""

    name: str
    ok: bool
    figures: str


def table(checks: list[Check]) -> str:
    """check → result → figures, as a Markdown table."""
    rows = [(c.name, "PASS" if c.ok else "FAIL", c.figures) for c in checks]
    return markdown_table(("check", "result", "figures"), rows)


# ---- database and outside parties -------------------------------------------------------------


@dataclass
class Stores:
    """What PostgreSQL holds for the run's account."""

    rows: dict[str, Any]
    events: dict[str, tuple[list[int], list[str]]]


async def read_stores(database_url: str, account_id: str) -> Stores:
    """Every export of the account with its side-effect rows, and its events."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = {r["id"]: r for r in await conn.fetch(ROWS_SQL, account_id)}
        events = {
            r["export_id"]: (list(r["seqs"]), list(r["types"]))
            for r in await conn.fetch(EVENTS_SQL, list(rows))
        }
    finally:
        await conn.close()
    return Stores(rows, events)


def store_checks(stores: Stores, launched: dict[str, str | None]) -> list[Check]:
    """Exports final, one package / submission / notification each, gapless events.

    `launched` maps each client's export (its number) to the export id it was given (None when
    the client never got one)."""
    rows = stores.rows
    n = len(launched)
    given = [e for e in launched.values() if e is not None]
    statuses = Counter(r["status"] for r in rows.values())
    completed = sum(rows[e]["status"] == FINAL_OK for e in given if e in rows)
    others = ", ".join(f"{s} {k}" for s, k in sorted(statuses.items()) if s != FINAL_OK)
    checks = [
        Check(
            f"every export {FINAL_OK} (EXECUTED, then broker ACCEPTED)",
            completed == n and len(rows) == n,
            f"{completed}/{n} {FINAL_OK}; {len(rows)} exports in the account for {n} clients"
            + (f"; also {others}" if others else "")
            + (f"; {n - len(given)} clients got no export id" if len(given) < n else ""),
        )
    ]

    def per_export(name: str, good: int, extra: str = "") -> Check:
        return Check(name, good == n and len(rows) == n, f"{good}/{n}" + extra)

    checks.append(
        per_export(
            "one customs package per export (DB)",
            sum(r["packages"] == 1 for r in rows.values()),
            f"; {sum(r['packages'] for r in rows.values())} packages in all",
        )
    )
    checks.append(
        per_export(
            "one broker submission per export, ACCEPTED (DB)",
            sum(r["submissions"] == 1 and r["sub_status"] == "ACCEPTED" for r in rows.values()),
            f"; {sum(r['submissions'] for r in rows.values())} submissions in all",
        )
    )
    checks.append(
        per_export(
            "one warehouse notification per export, DELIVERED (DB)",
            sum(r["notifications"] == 1 and r["note_status"] == "DELIVERED" for r in rows.values()),
            f"; {sum(r['notifications'] for r in rows.values())} notifications in all",
        )
    )
    gapless = 0
    once = 0
    lengths = []
    for export_id in rows:
        seqs, types = stores.events.get(export_id, ([], []))
        lengths.append(len(seqs))
        gapless += bool(seqs) and seqs == list(range(1, len(seqs) + 1))
        counts = Counter(types)
        once += all(counts[t] == 1 for t in ONCE_EVENTS) and (
            sum(counts[t] for t in FINAL_EVENTS) == 1
        )
    span = f"{min(lengths)}..{max(lengths)} events each" if lengths else "no events"
    checks.append(per_export("event seqs gapless 1..n (export_events)", gapless, f"; {span}"))
    checks.append(
        per_export(
            "one-time events exactly once (EXPORT_PLANNED … the broker's final word)",
            once,
        )
    )
    return checks


def broker_check(stores: Stores, stats: dict[str, Any]) -> Check:
    """The sandbox broker: exactly one submission per export, the DB's, ACCEPTED."""
    held: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for sub_id, sub in stats.get("submissions", {}).items():
        held[str(sub.get("exportId"))].append((sub_id, sub["status"], int(sub["deliveries"])))
    good = 0
    duplicated = []
    for export_id, row in stores.rows.items():
        mine = held.get(export_id, [])
        if len(mine) > 1:
            duplicated.append(export_id)
        if [(s, st) for s, st, _ in mine] == [(row["submission_id"], "ACCEPTED")]:
            good += 1
    strangers = sorted(set(held) - set(stores.rows))
    redelivered = sum(d - 1 for subs in held.values() for _, _, d in subs if d > 1)
    n = len(stores.rows)
    figures = (
        f"{good}/{n}; broker holds {len(stats.get('submissions', {}))} submissions, "
        f"{stats.get('rawDeliveries', 0)} raw deliveries ({redelivered} redeliveries deduped by "
        f"Idempotency-Key), callbacks sent {stats.get('callbacksSent', 0)}, "
        f"failed {stats.get('callbacksFailed', 0)}"
    )
    if duplicated:
        figures += f"; DUPLICATE submissions for {len(duplicated)} exports: {duplicated[:3]}"
    if strangers:
        figures += f"; submissions for unknown exports: {strangers[:3]}"
    ok = good == n and not duplicated and not strangers and n > 0
    return Check("sandbox broker received one submission per export", ok, figures)


def warehouse_check(stores: Stores, receiver: WarehouseReceiver) -> Check:
    """The warehouse receiver: exactly one notification per export, the DB's."""
    held: dict[str, list[str]] = defaultdict(list)
    for key, payload in receiver.unique.items():
        held[str(payload.get("exportId"))].append(key)
    good = 0
    duplicated = []
    for export_id, row in stores.rows.items():
        mine = held.get(export_id, [])
        if len(mine) > 1:
            duplicated.append(export_id)
        if mine == [row["notification_id"]]:
            good += 1
    strangers = sorted(set(held) - set(stores.rows))
    redelivered = sum(d - 1 for d in receiver.deliveries.values() if d > 1)
    n = len(stores.rows)
    figures = (
        f"{good}/{n}; {len(receiver.unique)} distinct notifications, {receiver.raw} raw "
        f"deliveries ({redelivered} redeliveries of one id), {receiver.refused} refused signatures"
    )
    if duplicated:
        figures += f"; DUPLICATE notifications for {len(duplicated)} exports: {duplicated[:3]}"
    if strangers:
        figures += f"; notifications for unknown exports: {strangers[:3]}"
    ok = good == n and not duplicated and not strangers and receiver.refused == 0 and n > 0
    return Check("warehouse received one notification per export", ok, figures)


# ---- metrics ----------------------------------------------------------------------------------


async def scrape(http: httpx.AsyncClient, url: str, metric: str) -> tuple[bool, str]:
    """GET a /metrics page: 200, text, with `metric` in it; what was wrong if not."""
    try:
        r = await http.get(url, timeout=10)
    except httpx.HTTPError as exc:
        return False, f"{type(exc).__name__} (nothing serves it)"
    kind = r.headers.get("content-type", "")
    if r.status_code != 200:
        return False, f"HTTP {r.status_code}"
    if not kind.startswith("text/"):
        return False, f"200 but content-type {kind!r}"
    if metric not in r.text:
        return False, f"200 text, no {metric}"
    total = 0.0
    for line in r.text.splitlines():
        if line.startswith(metric) and not line.startswith("#"):
            try:
                total += float(line.rsplit(" ", 1)[1])
            except (ValueError, IndexError):
                continue
    return True, f"ok ({metric} = {total:.0f})"


async def metrics_check(apis: list[tuple[str, int]], workers: list[tuple[str, int]]) -> Check:
    """Every API's /metrics has entrygo_http_requests_total; every worker's metrics port has
    entrygo_activity_attempts_total."""
    results = []
    async with httpx.AsyncClient(trust_env=False) as http:
        for name, port in apis:
            ok, said = await scrape(
                http, f"http://127.0.0.1:{port}/metrics", "entrygo_http_requests_total"
            )
            results.append((name, port, ok, said))
        for name, port in workers:
            ok, said = await scrape(
                http, f"http://127.0.0.1:{port}/metrics", "entrygo_activity_attempts_total"
            )
            results.append((name, port, ok, said))
    good = sum(ok for *_, ok, _ in results)
    figures = f"{good}/{len(results)} processes: " + "; ".join(
        f"{name} :{port}/metrics {said}" for name, port, _, said in results
    )
    return Check("metrics on every process (GET /metrics)", good == len(results), figures)


# ---- traces -----------------------------------------------------------------------------------


@dataclass
class TraceFindings:
    """What the collector's spans say about crossing processes."""

    spans: int
    processes: dict[str, int]  # kind -> distinct pids that sent spans
    services: list[str]
    crossing_exports: int
    exports: int
    crossing_traces: int
    resolved_traces: int
    orphans: int
    warehouse_linked: int
    warehouse_with_parent: int


def analyse_traces(
    spans: list[SpanRecord],
    kinds: dict[int, str],
    export_ids: list[str],
    receiver: WarehouseReceiver,
) -> TraceFindings:
    """Group spans by trace; find the exports whose one trace holds API and worker spans, and
    whether every parent link in those traces resolves."""
    by_trace: dict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)

    def kind_of(span: SpanRecord) -> str:
        if span.pid is not None and span.pid in kinds:
            return kinds[span.pid]
        return "other"

    trace_exports: dict[str, set[str]] = {}
    for trace_id, members in by_trace.items():
        found: set[str] = set()
        for span in members:
            for value in (span.name, *span.attributes.values()):
                found.update(EXPORT_ID.findall(value))
        trace_exports[trace_id] = found
    crossing = {
        t for t, members in by_trace.items() if {"api", "worker"} <= {kind_of(s) for s in members}
    }
    wanted = set(export_ids)
    crossing_exports = {e for t in crossing for e in trace_exports[t] & wanted}
    resolved = 0
    orphans = 0
    for t in crossing:
        ids = {s.span_id for s in by_trace[t]}
        lost = sum(1 for s in by_trace[t] if s.parent_span_id and s.parent_span_id not in ids)
        orphans += lost
        resolved += lost == 0
    processes: dict[str, set[int]] = defaultdict(set)
    for span in spans:
        processes[kind_of(span)].add(span.pid or 0)
    # the warehouse saw a traceparent: is it a span of a worker in an export's trace?
    span_index = {(s.trace_id, s.span_id): s for s in spans}
    linked = 0
    for header in receiver.traceparents.values():
        parts = header.split("-")
        if len(parts) >= 3:
            parent = span_index.get((parts[1], parts[2]))
            linked += parent is not None and kind_of(parent) == "worker"
    return TraceFindings(
        spans=len(spans),
        processes={k: len(v) for k, v in processes.items()},
        services=sorted({s.service for s in spans}),
        crossing_exports=len(crossing_exports),
        exports=len(export_ids),
        crossing_traces=len(crossing),
        resolved_traces=resolved,
        orphans=orphans,
        warehouse_linked=linked,
        warehouse_with_parent=len(receiver.traceparents),
    )


def trace_checks(f: TraceFindings, collector_notes: list[str]) -> list[Check]:
    """Traces cross from an API process to a worker process; their parent links resolve."""
    seen = ", ".join(f"{k}: {v} pids" for k, v in sorted(f.processes.items())) or "no process"
    base = f"{f.spans} spans from {seen}; service.name {f.services or '-'}"
    if collector_notes:
        base += f"; collector refused {len(collector_notes)} requests ({collector_notes[0]})"
    if f.spans == 0:
        why = (
            "no spans reached the OTLP collector: do `entrygo api` and `entrygo worker` export "
            "to OTEL_EXPORTER_OTLP_ENDPOINT (POST /v1/traces, protobuf)?"
        )
        return [
            Check("traces cross processes (one trace: API and worker spans)", False, why),
            Check("trace parent links resolve within the trace", False, why),
        ]
    cross_ok = f.crossing_exports >= 1
    cross = (
        f"{f.crossing_exports}/{f.exports} exports have a trace with API and worker spans "
        f"({f.crossing_traces} such traces); {base}"
    )
    if not cross_ok:
        missing = [k for k in ("api", "worker") if not f.processes.get(k)]
        cross += (
            f"; no spans from any {' or '.join(missing)} process"
            if missing
            else "; API and worker spans never share a trace id (context not propagated "
            "through Temporal?)"
        )
    links = (
        f"{f.resolved_traces}/{f.crossing_traces} crossing traces resolve every parent; "
        f"{f.orphans} spans with a parent not received (lost with a killed process, or not "
        f"exported); warehouse requests whose traceparent is a worker span: "
        f"{f.warehouse_linked}/{f.warehouse_with_parent}"
    )
    return [
        Check("traces cross processes (one trace: API and worker spans)", cross_ok, cross),
        Check("trace parent links resolve within the trace", f.resolved_traces >= 1, links),
    ]
