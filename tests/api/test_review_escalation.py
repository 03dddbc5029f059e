"""The review escalation chain (docs/operations.md "Review escalation"): at the review deadline the
account's leads and the assignee are e-mailed through the SMTP relay (and the review webhook told, as before);
the chain's second deadline later the review moves to the leads' queue (`REVIEW_ESCALATED`,
`approval.policy.escalated`). Durable workflow timers, a real worker, a real SMTP server."""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from activities import build_activities
from config.settings import Settings
from domain.approval import EscalationChain
from domain.review_work import ReviewHolder
from entrygo.worker import build_worker
from sandbox.smtp_sink import SmtpSink, read_maildir
from store.review_escalation import escalation_chain, set_escalation_chain
from store.review_work import set_holder
from tests.support.console_http import signed_in
from tests.support.exports_api import app_client, inspect, plan, terminate
from tests.support.polling import eventually
from tests.support.tenants import World

LEAD = "lead@compliance.test"
ASSIGNEE = "ana@compliance.test"


async def _events(http: httpx.AsyncClient, world: World, export_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/exports/{export_id}/events", headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    events: list[dict[str, Any]] = r.json()["data"]
    return events


async def test_an_open_review_is_told_to_the_leads_then_moves_to_their_queue(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    sink = SmtpSink("127.0.0.1", 0, tmp_path / "mail")
    sink.start()
    chain = EscalationChain(lead_emails=[LEAD], escalate_after_seconds=2.0)
    async with pool.acquire() as conn:
        await set_escalation_chain(conn, world.tenant.account_id, chain)
        assert await escalation_chain(conn, world.tenant.account_id) == chain
    mine = settings.model_copy(
        update={
            "task_queue": f"escalation-{uuid.uuid4().hex[:8]}",
            "smtp_port": sink.port,
            "review_deadline_seconds": 2.0,
        }
    )
    worker = build_worker(temporal_env.client, mine.task_queue, build_activities(pool, mine))
    export_id = ""
    try:
        async with worker:
            ids = await world.orders(http, "SKU-SCARF-8")
            async with app_client(mine) as client:
                r = await plan(client, world, ids)
            assert r.status_code == 201, r.text
            assert r.json()["readinessState"] == "REVIEW_REQUIRED"
            export_id = r.json()["exportId"]
            # a person holds the review: told at each deadline beside the leads
            async with pool.acquire() as conn:
                holder = ReviewHolder(
                    actor="oidc:ana", label=f"Ana Reviewer <{ASSIGNEE}>", since=datetime.now(UTC)
                )
                await set_holder(conn, world.tenant.account_id, export_id, holder)

            async def escalated() -> list[dict[str, Any]]:
                events = await _events(http, world, export_id)
                return [e for e in events if e["type"] == "REVIEW_ESCALATED"]

            [event] = await eventually(escalated, attempts=600)
            types = [e["type"] for e in await _events(http, world, export_id)]
            assert types.index("REVIEW_OVERDUE") < types.index("REVIEW_ESCALATED")
            assert event["data"]["to"] == "leads"
            assert event["data"]["planHash"] == r.json()["planHash"]
            view = (await inspect(http, world.tenant, export_id)).json()
            assert view["approval"]["policy"]["escalated"] is True
            assert view["approval"]["state"] == "PENDING"
            # the console's leads' queue lists it, marked; "nobody holds" (it is held) does not
            cookies, _ = await signed_in(http, world.tenant.keys["reviewer"])
            leads = await http.get("/console?holder=leads", cookies=cookies)
            assert leads.status_code == 200
            assert f'data-export="{export_id}"' in leads.text
            assert "ESCALATED to the leads" in leads.text
            nobody = await http.get("/console?holder=nobody", cookies=cookies)
            assert f'data-export="{export_id}"' not in nobody.text

            def mails() -> list[Any]:
                return read_maildir(tmp_path / "mail")

            await eventually(lambda: _async(len(mails()) >= 2), attempts=400)
            subjects = sorted(str(m["Subject"]) for m in mails())
            assert subjects == [
                f"Review escalated to the leads: export {export_id}",
                f"Review overdue: export {export_id}",
            ]
            assert all(m["To"] == f"{ASSIGNEE}, {LEAD}" for m in mails())
            assert len({m["Message-ID"] for m in mails()}) == 2
    finally:
        sink.stop()
        if export_id:
            await terminate(temporal_env, export_id)


async def _async(value: bool) -> bool:
    return value
