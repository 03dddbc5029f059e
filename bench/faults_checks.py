"""The invariants `bench.faults` checks after each fault phase and at the end, and its tables.

Every check reads what the outside world saw (the sandbox broker's stats, the SMTP sink's
maildir) or what the database and Temporal hold; none trusts the workflow's own view.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import asyncpg
from temporalio.client import Client

from sandbox.smtp_sink import read_maildir

if TYPE_CHECKING:
    from bench.faults_driver import Driver
    from bench.faults_stack import FaultStack

ARTIFACTS_PER_PACKAGE = 6
# events a retried activity must never write twice (CUSTOMS_PACKAGE_REUSED may follow a crash)
ONCE_EVENTS = (
    "EXPORT_PLANNED",
    "EXECUTION_REQUESTED",
    "CUSTOMS_PACKAGE_GENERATED",
    "BROKER_SUBMISSION_PREPARED",
    "BROKER_SUBMISSION_SENT",
    "WAREHOUSE_NOTIFIED",
    "EXPORT_EXECUTED",
)
# the broker's final word: an acceptance (protocol 1) or the goods' release (protocol 2)
FINAL_EVENTS = ("BROKER_ACCEPTED", "CUSTOMS_RELEASED")
FINAL_BROKER_STATUSES = ("ACCEPTED", "RELEASED")

ROWS_SQL = """
SELECT e.id, e.status, e.workflow_id,
       (SELECT count(*) FROM customs_packages p WHERE p.export_id = e.id) AS packages,
       (SELECT count(*) FROM artifacts a JOIN customs_packages p ON p.id = a.customs_package_id
         WHERE p.export_id = e.id) AS artifacts,
       (SELECT count(*) FROM broker_submissions s WHERE s.export_id = e.id) AS submissions,
       (SELECT min(s.id) FROM broker_submissions s WHERE s.export_id = e.id) AS submission_id,
       (SELECT min(s.status) FROM broker_submissions s WHERE s.export_id = e.id) AS sub_status,
       (SELECT count(*) FROM notifications n WHERE n.export_id = e.id) AS notifications
  FROM exports e WHERE e.id = any($1::text[])
"""
EVENTS_SQL = """
SELECT export_id, array_agg(seq ORDER BY seq) AS seqs, array_agg(type ORDER BY seq) AS types
  FROM export_events WHERE export_id = any($1::text[]) GROUP BY export_id
"""


@dataclass
class Check:
    """One invariant: what was expected, what was seen."""

    name: str
    expected: str
    observed: str
    ok: bool


def _share(name: str, good: int, total: int, expected: str = "all") -> Check:
    return Check(name, f"{expected} {total}", f"{good}/{total}", good == total)


@dataclass
class Evidence:
    """What the outside world and the stores hold for a set of exports."""

    exports: dict[str, str]  # exportId -> transport
    rows: dict[str, Any]
    events: dict[str, tuple[list[int], list[str]]]
    broker: dict[str, Any]
    mails: list[EmailMessage]
    workflows: dict[str, tuple[str, int]]  # exportId -> (status, pending activities)


async def gather_evidence(
    pool: asyncpg.Pool,
    temporal: Client,
    exports: dict[str, str],
    broker_stats: dict[str, Any],
    mails: list[EmailMessage],
) -> Evidence:
    """Read everything the checks need, once."""
    ids = list(exports)
    async with pool.acquire() as conn:
        rows = {r["id"]: r for r in await conn.fetch(ROWS_SQL, ids)}
        events = {
            r["export_id"]: (list(r["seqs"]), list(r["types"]))
            for r in await conn.fetch(EVENTS_SQL, ids)
        }
    workflows: dict[str, tuple[str, int]] = {}
    for export_id, row in rows.items():
        desc = await temporal.get_workflow_handle(row["workflow_id"]).describe()
        status = desc.status.name if desc.status is not None else "UNKNOWN"
        workflows[export_id] = (status, len(desc.raw_description.pending_activities))
    return Evidence(exports, rows, events, broker_stats, mails, workflows)


def check_all(ev: Evidence, *, launched: int, in_account: int) -> list[Check]:
    """Every invariant over the exports of `ev`."""
    ids = list(ev.exports)
    webhook = [i for i in ids if ev.exports[i] == "webhook"]
    email = [i for i in ids if ev.exports[i] == "email"]
    rows = ev.rows
    return [
        Check(
            "one export per plan request (idempotent retries)",
            str(launched),
            str(in_account),
            launched == in_account,
        ),
        _share(
            "webhook exports COMPLETED (broker callback)",
            sum(rows[i]["status"] == "COMPLETED" for i in webhook if i in rows),
            len(webhook),
        ),
        _share(
            "email exports EXECUTED → outcome → COMPLETED",
            sum(rows[i]["status"] == "COMPLETED" for i in email if i in rows),
            len(email),
        ),
        _share(
            "customs packages per export = 1",
            sum(r["packages"] == 1 for r in rows.values()),
            len(ids),
        ),
        _share(
            f"artifacts per package = {ARTIFACTS_PER_PACKAGE}",
            sum(r["artifacts"] == ARTIFACTS_PER_PACKAGE for r in rows.values()),
            len(ids),
        ),
        _share(
            "broker submissions per export = 1 (DB)",
            sum(r["submissions"] == 1 and r["sub_status"] == "ACCEPTED" for r in rows.values()),
            len(ids),
        ),
        _share(
            "notifications per export = 1 (DB)",
            sum(r["notifications"] == 1 for r in rows.values()),
            len(ids),
        ),
        _broker_check(ev, webhook),
        _mail_check(ev, email),
        _share(
            "event seqs gapless (1..n)",
            sum(
                ev.events.get(i, ([], []))[0]
                == list(range(1, len(ev.events.get(i, ([], []))[0]) + 1))
                and bool(ev.events.get(i))
                for i in ids
            ),
            len(ids),
        ),
        _once_check(ev, ids),
        _share(
            "workflows closed, no pending activities",
            sum(ev.workflows.get(i) == ("COMPLETED", 0) for i in ids),
            len(ids),
        ),
    ]


def _once_check(ev: Evidence, ids: list[str]) -> Check:
    """Every one-time event once per export; the observed figure names what went wrong where."""
    wrong = {i: _miscounted(ev.events.get(i, ([], []))[1]) for i in ids}
    wrong = {i: counts for i, counts in wrong.items() if counts}
    check = _share("one-time events exactly once", len(ids) - len(wrong), len(ids))
    if wrong:
        check.observed += " (" + "; ".join(f"{i}: {c}" for i, c in sorted(wrong.items())) + ")"
    return check


def _miscounted(types: list[str]) -> str:
    """The one-time events of one export's log not there exactly as often as they should be
    ("" when all are), as `TYPE ×count`."""
    counts = Counter(types)
    wrong = [f"{t} ×{counts[t]}" for t in ONCE_EVENTS if counts[t] != 1]
    if sum(counts[t] for t in FINAL_EVENTS) != 1:
        wrong += [f"{t} ×{counts[t]}" for t in FINAL_EVENTS]
    if counts["CUSTOMS_ARTIFACT_GENERATED"] != ARTIFACTS_PER_PACKAGE:
        wrong.append(f"CUSTOMS_ARTIFACT_GENERATED ×{counts['CUSTOMS_ARTIFACT_GENERATED']}")
    return ", ".join(wrong)


def _broker_check(ev: Evidence, webhook: list[str]) -> Check:
    """Sandbox broker: exactly one submission per export, the DB's, ACCEPTED."""
    held: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for sub_id, sub in ev.broker.get("submissions", {}).items():
        held[str(sub.get("exportId"))].append((sub_id, sub["status"]))
    good = 0
    for export_id in webhook:
        row = ev.rows.get(export_id)
        subs = held[export_id]
        if (
            row is not None
            and [sub_id for sub_id, _ in subs] == [row["submission_id"]]
            and subs[0][1] in FINAL_BROKER_STATUSES
        ):
            good += 1
    return _share("broker: one unique submission per export, ACCEPTED", good, len(webhook))


def message_ids(mails: list[EmailMessage]) -> dict[str, list[str]]:
    """Submission id -> the Message-ID of every email the SMTP sink kept for it."""
    found: dict[str, list[str]] = defaultdict(list)
    for msg in mails:
        sub_id = msg.get("X-EntryGo-Submission-Id")
        if sub_id:
            found[str(sub_id)].append(str(msg.get("Message-ID", "")))
    return found


def _mail_check(ev: Evidence, email: list[str]) -> Check:
    """SMTP sink: one distinct Message-ID per submission (resends keep it)."""
    found = message_ids(ev.mails)
    good = sum(
        len(set(found.get(str(ev.rows[i]["submission_id"]), []))) == 1
        for i in email
        if i in ev.rows
    )
    return _share("email: one distinct Message-ID per submission", good, len(email))


def figures(ev: Evidence) -> dict[str, int]:
    """Counts that are not invariants but show how hard the faults hit."""
    found = message_ids(ev.mails)
    email_subs = {str(ev.rows[i]["submission_id"]) for i in ev.exports if ev.exports[i] == "email"}
    kept = [mid for sub, mids in found.items() if sub in email_subs for mid in mids]
    broker = ev.broker
    reused = sum(types.count("CUSTOMS_PACKAGE_REUSED") for _, types in ev.events.values())
    return {
        "broker raw deliveries": int(broker.get("rawDeliveries", 0)),
        "broker 503 answers (outage)": int(broker.get("unavailable", 0)),
        # deliveries answered "200 duplicate": the broker deduped them by Idempotency-Key
        "broker duplicate deliveries (deduped)": int(broker.get("rawDeliveries", 0))
        - len(broker.get("submissions", {}))
        - sum(int(broker.get(k, 0)) for k in ("unavailable", "unauthorized", "invalid", "refused")),
        "email resends (same Message-ID)": len(kept) - len(set(kept)),
        "packages reused after a crash": reused,
    }


def markdown_table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """A GitHub-flavoured Markdown table (pasted as is into docs/reliability.md)."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


LOOP_SQL = """
SELECT e.id,
       (SELECT coalesce(array_agg(a.number ORDER BY a.number), '{}')
          FROM submission_amendments a WHERE a.export_id = e.id) AS amendments,
       (SELECT count(*) FROM export_events v
          WHERE v.export_id = e.id AND v.type = 'BROKER_AMENDMENT_SENT') AS amendment_events,
       (SELECT coalesce(array_agg(v.data ->> 'requestId'), '{}') FROM export_events v
          WHERE v.export_id = e.id AND v.type = 'BROKER_INFO_PROVIDED') AS provided,
       (SELECT coalesce(array_agg(r ->> 'requestId'), '{}')
          FROM jsonb_array_elements(coalesce(e.broker_side -> 'requests', '[]'::jsonb)) r
          WHERE r ->> 'status' = 'ANSWERED') AS answered
FROM exports e WHERE e.id = any($1::text[])
"""


async def loop_checks(conn: Any, export_ids: list[str]) -> list[Check]:
    """The broker loop: amendments numbered 1..n without gaps, each sent (and recorded) once,
    every request answered once."""
    rows = await conn.fetch(LOOP_SQL, export_ids)
    gapless = sum(list(r["amendments"]) == list(range(1, len(r["amendments"]) + 1)) for r in rows)
    once = sum(r["amendment_events"] == len(r["amendments"]) for r in rows)
    answered = sum(
        sorted(r["provided"]) == sorted(r["answered"]) == sorted(set(r["answered"])) for r in rows
    )
    amendments = sum(len(r["amendments"]) for r in rows)
    return [
        _share(f"amendments numbered 1..n without gaps ({amendments} in all)", gapless, len(rows)),
        _share("each amendment sent and recorded once", once, len(rows)),
        _share("every broker request answered once", answered, len(rows)),
    ]


async def evaluate(stack: "FaultStack", driver: "Driver") -> tuple[list[Check], dict[str, int]]:
    """Every invariant over every export launched so far."""
    everything = driver.exports
    launched = [e for e in everything if e.export_id]
    async with stack.pool.acquire() as conn:
        in_account = await conn.fetchval(
            "SELECT count(*) FROM exports WHERE account_id = $1",
            driver.demo["accountId"],
        )
    evidence = await gather_evidence(
        stack.pool,
        stack.temporal,
        {e.export_id: e.transport for e in launched if e.export_id},
        await stack.broker_stats(),
        read_maildir(stack.settings.data_dir / "mail"),
    )
    errors = "".join(f"; #{e.n}: {e.error}" for e in everything if e.error)
    checks = [
        Check(
            "every export planned and executed through the API",
            str(len(everything)),
            f"{len(launched)}{errors}",
            len(launched) == len(everything) and not errors,
        ),
        *check_all(evidence, launched=len(everything), in_account=in_account),
    ]
    async with stack.pool.acquire() as conn:
        checks += await loop_checks(conn, [e.export_id for e in launched if e.export_id])
    return checks, figures(evidence)
