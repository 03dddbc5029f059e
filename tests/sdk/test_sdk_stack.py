"""The Python SDK (sdk/python, `entrygo_client`) against the running stack: the public quickstart
through the compat names, the SDK README's quickstart, `run_export` for READY / REVIEW_REQUIRED
/ BLOCKED and its rerun, a retry after a dropped answer, and 429 / 503 from real API processes.

The API runs in the test's event loop: sync SDK calls go through `asyncio.to_thread`, scripts
through an asyncio subprocess, so the server can answer them."""

import asyncio
import os
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from entrygo_client import AsyncEntryGo, EntryGo, EntryGoError

from tests.support.paths import ROOT
from tests.support.stack import Stack, free_port, serve
from tests.support.tenants import World

HERE = Path(__file__).parent
COMPAT_IMPORT = "from entrygo_client.compat import SHPBNDL, SHPBNDLError"
PUBLIC_IMPORT = "from shpbndl import SHPBNDL, SHPBNDLError"


def order(world: World, sku: str) -> dict[str, Any]:
    """One of the contract's order items for a product of the world."""
    return {
        "externalId": f"sdk-{uuid.uuid4().hex[:10]}",
        "destinationCountry": "US",
        "destinationRegion": "NY",
        "destinationPostalCode": "10001",
        "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
        "items": [{"productId": world.products[sku], "quantity": 2}],
    }


def base_url(stack: Stack) -> str:
    return str(stack.api.base_url).rstrip("/") + "/api"


def env_for(stack: Stack, world: World, sku: str = "SKU-SCARF") -> dict[str, str]:
    return {
        **os.environ,
        "ENTRYGO_API_KEY": world.tenant.keys["integration"],
        "ENTRYGO_BASE_URL": base_url(stack),
        "ENTRYGO_ACCOUNT_ID": world.tenant.account_id,
        "ENTRYGO_WAREHOUSE_ID": world.warehouse_id,
        "ENTRYGO_BROKER_ID": world.broker_id,
        "ENTRYGO_PRODUCT_ID": world.products[sku],
    }


async def run_python(source: str, env: dict[str, str]) -> str:
    """Run `source` in a fresh interpreter (the venv's, where entrygo-client is installed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        source,
        env=env,
        cwd=str(HERE),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = out.decode()
    assert process.returncode == 0, text
    return text


async def exports_of(stack: Stack, world: World) -> list[dict[str, Any]]:
    listed = await stack.api.get("/api/exports?limit=200", headers=world.tenant.auth())
    assert listed.status_code == 200, listed.text
    data: list[dict[str, Any]] = listed.json()["data"]
    return data


async def test_the_public_quickstart_runs_with_only_its_import_changed(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    source = (HERE / "public_quickstart.py").read_text()
    reference = (HERE / "public_quickstart.shpbndl.txt").read_text()
    # the script as a client writes it for the public SDK, but for this one line
    assert source.count(COMPAT_IMPORT) == 1
    assert source.replace(COMPAT_IMPORT, PUBLIC_IMPORT) == reference
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import os", COMPAT_IMPORT]

    world = await stack.world(pool)
    text = await run_python(source, env_for(stack, world))
    assert re.search(r"^exportId exp_\w+$", text, re.M), text
    assert re.search(r"^planHash sha256:[0-9a-f]{64}$", text, re.M)
    assert "readinessState READY" in text
    assert re.search(r"^customs_package_id cp_\w+$", text, re.M), text
    assert "'cci_pdf'" in text
    assert re.search(r"^status (EXECUTING|EXECUTED|COMPLETED)$", text, re.M)
    assert "CUSTOMS_PACKAGE_GENERATED" in text

    # the same script again: every write replays (fixed keys), no second export
    again = await run_python(source, env_for(stack, world))
    first_id = re.search(r"^exportId (\S+)$", text, re.M)
    assert first_id is not None
    assert f"exportId {first_id.group(1)}" in again
    assert len(await exports_of(stack, world)) == 1


async def test_the_public_quickstart_stops_on_a_blocked_plan_and_reads_errors(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    source = (HERE / "public_quickstart.py").read_text()
    text = await run_python(source, env_for(stack, world, "SKU-NOHS"))
    assert "readinessState BLOCKED" in text
    assert "validationMessages" in text
    assert "customs_package_id" not in text  # stopped before execute
    fresh = await stack.world(pool)  # the script's fixed keys are fresh in this account
    bad = {**env_for(stack, fresh), "ENTRYGO_PRODUCT_ID": "prod_does_not_exist"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        source,
        env=bad,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode != 0
    assert "error VALIDATION_ERROR" in out.decode()  # err.error_code, err.message, ...
    assert "unknown_product" in out.decode()  # err.details


async def test_the_sdk_readme_quickstart_runs(stack: Stack, pool: asyncpg.Pool) -> None:
    readme = (ROOT / "sdk" / "python" / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", quickstart, re.DOTALL)
    assert code is not None
    world = await stack.world(pool)
    text = await run_python(code.group(1), env_for(stack, world))
    assert text.startswith("executed exp_"), text
    assert "cci_pdf" in text


async def test_run_export_executes_a_ready_plan_and_a_rerun_finds_the_same_export(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    orders = [order(world, "SKU-SCARF")]
    args = (world.tenant.account_id, world.warehouse_id, world.broker_id, orders)
    async with AsyncEntryGo(world.tenant.keys["integration"], base_url(stack)) as client:
        first = await client.run_export(*args)
        again = await client.run_export(*args)  # as after a crash: the same inputs
        package = await client.customs_packages.get(first.customs_package_id or "")
        content = await client.artifacts.content(package.artifacts[0].id or "")
    assert first.outcome == "executed", first
    assert first["status"] in ("EXECUTED", "COMPLETED")
    assert first.readinessState == "READY"
    assert first.customs_package_id is not None
    assert first.customs_package_id.startswith("cp_")
    assert {a["artifact_type"] for a in first.artifacts} >= {"cci_pdf", "cci_json", "manifest"}
    assert "EXPORT_EXECUTED" in [e.type for e in first.events]
    assert again.exportId == first.exportId  # the same keys, the same export
    assert again.customs_package_id == first.customs_package_id
    assert len(await exports_of(stack, world)) == 1
    assert package.exportBatchId == first.exportId
    assert len(content) == package.artifacts[0].sizeBytes


async def test_run_export_never_executes_a_blocked_plan(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    with EntryGo(world.tenant.keys["integration"], base_url(stack)) as client:
        outcome = await asyncio.to_thread(
            client.run_export,
            world.tenant.account_id,
            world.warehouse_id,
            world.broker_id,
            [order(world, "SKU-NOHS")],
        )
        assert outcome.exportId is not None
        events = await asyncio.to_thread(client.exports.events, outcome.exportId)
    assert outcome.outcome == outcome["outcome"] == "blocked"
    assert outcome.readinessState == "BLOCKED"
    assert outcome.missing_data
    assert outcome["missing_data"][0]["field"]
    assert any(m.severity == "ERROR" for m in outcome.validationMessages)
    assert outcome.reasons
    types = [e.type for e in events.data]
    assert "EXPORT_PLANNED" in types
    assert "EXECUTION_REQUESTED" not in types


async def test_run_export_returns_for_review_or_waits_for_the_approval(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    ids = (world.tenant.account_id, world.warehouse_id, world.broker_id)
    async with AsyncEntryGo(world.tenant.keys["integration"], base_url(stack)) as client:
        returned = await client.run_export(*ids, [order(world, "SKU-SCARF-8")])
        assert returned.outcome == "awaiting_review", returned
        assert returned.status == "PLANNED"  # not executed: nothing asked a reviewer yet
        assert returned.readinessState == "REVIEW_REQUIRED"
        assert returned.reasons
        waiting = asyncio.create_task(
            client.run_export(*ids, [order(world, "SKU-SCARF-8")], wait_for_review=True)
        )
        async with AsyncEntryGo(world.tenant.keys["reviewer"], base_url(stack)) as reviewer:
            pending: list[Any] = []
            for _ in range(300):
                pending = (await reviewer.exports.list(status="AWAITING_APPROVAL")).data
                if pending:
                    break
                await asyncio.sleep(0.1)
            assert len(pending) == 1
            assert not waiting.done()  # it waits for a person
            assert pending[0].planHash is not None
            await reviewer.exports.approve(
                pending[0].exportId or "", planHash=pending[0].planHash, comment="ok"
            )
        done = await asyncio.wait_for(waiting, timeout=120)
    assert done.outcome == "executed", done
    assert done.exportId == pending[0].exportId
    assert done.customs_package_id is not None
    assert "EXPORT_APPROVED" in [e.type for e in done.events]


class DropFirstPlanAnswer:
    """A TCP proxy on loopback in front of the API: it forwards the first POST
    /api/exports/plan to the server, waits for the server's whole answer, then closes the
    client's connection without relaying it. Everything else passes through."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.dropped = 0
        self.plans: list[str] = []  # the Idempotency-Key of each plan request

    async def start(self) -> asyncio.AbstractServer:
        return await asyncio.start_server(self.handle, "127.0.0.1", self.port)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            body = await reader.readexactly(int(found.group(1))) if found else b""
            up_writer.write(head + body)
            await up_writer.drain()
            answer = await up_reader.read()  # `connection: close`: the answer ends at EOF
            if head.startswith(b"POST /api/exports/plan "):
                key = re.search(rb"(?im)^idempotency-key:\s*(\S+)", head)
                self.plans.append(key.group(1).decode() if key else "")
                if self.dropped == 0:
                    self.dropped += 1
                    return  # the server answered; the client never hears it
            writer.write(answer)
            await writer.drain()
        finally:
            writer.close()
            up_writer.close()


async def test_a_retry_after_a_dropped_answer_finds_the_same_export(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    [order_id] = await world.orders(stack.api, "SKU-SCARF")
    proxy = DropFirstPlanAnswer(stack.api.base_url.port or 80)
    server = await proxy.start()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    try:
        async with (
            httpx.AsyncClient(headers={"connection": "close"}, timeout=30) as http,
            AsyncEntryGo(
                world.tenant.keys["integration"],
                f"http://127.0.0.1:{proxy.port}/api",
                http_client=http,
                sleep=sleep,
            ) as client,
        ):
            plan = await client.exports.plan(
                accountId=world.tenant.account_id,
                warehouseId=world.warehouse_id,
                brokerId=world.broker_id,
                orderIds=[order_id],
            )
    finally:
        server.close()
        await server.wait_closed()
    assert proxy.dropped == 1
    assert len(proxy.plans) == 2  # sent twice, with the same generated key
    assert proxy.plans[0] == proxy.plans[1] != ""
    assert len(sleeps) == 1
    exports = await exports_of(stack, world)
    assert [e["exportId"] for e in exports] == [plan.exportId]  # one export, not two


async def test_429_from_a_real_api_process_is_waited_out_then_raised(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    from api.app import create_app

    world = await stack.world(pool)
    limited = create_app(stack.settings.model_copy(update={"rate_limit_per_minute": 2}))
    # a window of this test's own, 15 s in, which cannot turn under it: the limit is shared
    # through the database, so the minute passing is its window rows being cleared
    pinned = datetime(2100, 1, 1, tzinfo=UTC) + timedelta(
        minutes=uuid.uuid4().int % (60 * 24 * 365), seconds=15
    )
    limited.state.limiter.clock = lambda: pinned

    async def clear_window() -> None:
        await pool.execute(
            "DELETE FROM rate_limit_windows WHERE account_id = $1", world.tenant.account_id
        )

    port = free_port()
    uvicorn_server, task = await serve(limited, port)
    try:
        sleeps: list[float] = []

        async def new_minute(seconds: float) -> None:  # the window passes at once
            sleeps.append(seconds)
            await clear_window()

        key = world.tenant.keys["integration"]
        url = f"http://127.0.0.1:{port}/api"
        async with AsyncEntryGo(key, url, sleep=new_minute) as client:
            await client.exports.list()
            await client.exports.list()
            synced = await client.orders.sync(  # the third request of the minute: 429 first
                accountId=world.tenant.account_id,
                items=[order(world, "SKU-SCARF")],
                idempotencyKey="sync-after-429",
            )
        assert synced.data[0].id is not None
        assert synced.data[0].id.startswith("ord_")
        assert sleeps == [45]  # the server's Retry-After (15 s into the window), not the backoff

        waited: list[float] = []

        async def record(seconds: float) -> None:
            waited.append(seconds)

        async with AsyncEntryGo(key, url, max_retries=3, sleep=record) as client:
            await clear_window()
            await client.exports.list()
            await client.exports.list()
            with pytest.raises(EntryGoError) as raised:  # the minute never passes here
                await client.exports.list()
        assert (raised.value.status, raised.value.error_code) == (429, "RATE_LIMITED")
        assert raised.value.request_id
        assert len(waited) == 3  # retried max_retries times, then gave up
    finally:
        uvicorn_server.should_exit = True
        await task


async def test_503_from_a_real_api_process_is_retried_then_raised(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    from api.app import create_app

    world = await stack.world(pool)
    [order_id] = await world.orders(stack.api, "SKU-SCARF")
    unreachable = create_app(
        stack.settings.model_copy(
            update={
                "temporal_address": f"127.0.0.1:{free_port()}",
                "temporal_call_timeout_seconds": 0.5,
            }
        )
    )
    port = free_port()
    uvicorn_server, task = await serve(unreachable, port)
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    try:
        url = f"http://127.0.0.1:{port}/api"
        key = world.tenant.keys["integration"]
        async with AsyncEntryGo(key, url, max_retries=2, sleep=record) as client:
            with pytest.raises(EntryGoError) as raised:
                await client.exports.plan(
                    accountId=world.tenant.account_id,
                    warehouseId=world.warehouse_id,
                    brokerId=world.broker_id,
                    orderIds=[order_id],
                )
    finally:
        uvicorn_server.should_exit = True
        await task
    assert raised.value.status == 503
    assert raised.value.error_code == "SERVICE_UNAVAILABLE"
    assert len(sleeps) == 2  # max_retries retries, then the last answer
    assert await exports_of(stack, world) == []  # nothing half-written


def test_the_sdk_imports_nothing_of_the_server() -> None:
    for path in (ROOT / "sdk" / "python" / "entrygo_client").rglob("*.py"):
        text = path.read_text()
        assert not re.search(
            r"^\s*(from|import) (api|services|store|domain|workflows|activities|config|signing"
            r"|entrygo)\b",
            text,
            re.M,
        ), path
