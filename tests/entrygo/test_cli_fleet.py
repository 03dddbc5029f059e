"""`entrygo destinations` and `entrygo operations`: the fleet control use cases from the
operator's shell, against the test database (docs/fleet-control.md)."""

import asyncpg
import pytest

from config.settings import Settings
from tests.support.cli_runner import cli, output
from tests.support.tenants import make_tenant, make_world


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, database_url: str, settings: Settings) -> None:
    monkeypatch.delenv("ENTRYGO_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    # a resume pokes the destination's workflow: on the session's server and task queue
    monkeypatch.setenv("TEMPORAL_ADDRESS", str(settings.temporal_address))
    monkeypatch.setenv("ENTRYGO_TASK_QUEUE", settings.task_queue)


async def test_list_pause_and_resume_a_broker(pool: asyncpg.Pool) -> None:
    world = await make_world(pool, await make_tenant(pool, "cli-fleet"))
    account = world.tenant.account_id
    ident = f"broker:{world.broker_id}"
    listed = output(await cli("destinations", "list", "--account", account, "--json"))
    states = {d["destinationId"]: d["state"] for d in listed["data"]}
    assert states == {ident: "CLOSED", f"warehouse:{world.warehouse_id}": "CLOSED"}
    paused = output(
        await cli("destinations", "pause", ident, "--account", account, "--reason", "audit")
    )
    assert (paused["state"], paused["pausedReason"], paused["pausedBy"]) == (
        "PAUSED",
        "audit",
        "cli",
    )
    table = await cli("destinations", "list", "--account", account)
    assert table.exit_code == 0, table.output
    line = next(row for row in table.stdout.splitlines() if row.startswith(ident))
    assert "PAUSED" in line
    assert "paused by cli: audit" in line
    resumed = output(await cli("destinations", "resume", ident, "--account", account))
    assert (resumed["state"], resumed["pausedReason"]) == ("CLOSED", None)
    async with pool.acquire() as conn:
        types = await conn.fetch(
            "SELECT type, actor FROM destination_events WHERE destination_id = $1 ORDER BY occurred_at",
            ident,
        )
    assert [(t["type"], t["actor"]) for t in types] == [
        ("DESTINATION_PAUSED", "cli"),
        ("DESTINATION_RESUMED", "cli"),
    ]


async def test_refusals_exit_with_the_reason(pool: asyncpg.Pool) -> None:
    world = await make_world(pool, await make_tenant(pool, "cli-fleet-refusals"))
    account = world.tenant.account_id
    bad = await cli("destinations", "pause", "nonsense", "--account", account, "--reason", "x")
    assert bad.exit_code != 0
    assert "DESTINATION_ID" in bad.output
    missing = await cli(
        "destinations", "pause", "broker:br_missing", "--account", account, "--reason", "x"
    )
    assert missing.exit_code == 1
    assert "NOT_FOUND" in missing.output
    neither = await cli("operations", "retry", "--account", account)
    assert neither.exit_code != 0
    assert "exactly one of exportIds and group" in neither.output
    assert output(await cli("operations", "failures", "--account", account)) == {"data": []}
    dry = output(
        await cli(
            "operations", "retry", "--account", account, "--export", "exp_missing", "--dry-run"
        )
    )
    assert dry["dryRun"] is True
    assert [(r["exportId"], r["outcome"], r["errorCode"]) for r in dry["results"]] == [
        ("exp_missing", "refused", "NOT_FOUND")
    ]
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM destinations WHERE account_id = $1", account)
            == 0
        )
