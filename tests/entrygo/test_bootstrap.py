"""`entrygo bootstrap` as a deployment runs it: a process against an empty database and a
Temporal server without the namespace, twice."""

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, DescribeNamespaceResponse
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from entrygo.bootstrap import KEY_LABEL
from store.accounts import authenticate
from store.migrate import migration_files
from tests.support.database import with_database

ROOT = Path(__file__).resolve().parents[2]
ENTRYGO = Path(sys.executable).parent / "entrygo"
TRANSIENT = {RPCStatusCode.CANCELLED, RPCStatusCode.UNAVAILABLE}
KEY_LINE = re.compile(r"^key: (eg_live_\w+)$", re.MULTILINE)


@pytest_asyncio.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    """A new database with nothing in it (not migrated), dropped afterwards."""
    name = f"entrygo_boot_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without ENTRYGO_* settings, plus `values`; the checkout's
    packages come first on the path (an editable install may predate a new package)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTRYGO_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["ENTRYGO_LOG_FORMAT"] = "text"
    env.update(values)
    return env


async def run_bootstrap(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [str(ENTRYGO), "bootstrap", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def describe_namespace(env: WorkflowEnvironment, namespace: str) -> DescribeNamespaceResponse:
    """The namespace as the server describes it. The SDK's connection may answer a call with a
    transient CANCELLED or UNAVAILABLE (seen on a loaded machine right after the namespace was
    registered by another process); such a call is made again, a few times."""
    for attempt in range(5):
        try:
            return await env.client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=namespace)
            )
        except RPCError as err:
            if err.status not in TRANSIENT or attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


async def test_bootstrap_twice_on_a_new_installation(
    empty_database: str, temporal_env: WorkflowEnvironment
) -> None:
    namespace = f"bootstrap-{uuid.uuid4().hex[:12]}"
    target = temporal_env.client.service_client.config.target_host
    env = clean_env(
        DATABASE_URL=empty_database, TEMPORAL_ADDRESS=target, ENTRYGO_TEMPORAL_NAMESPACE=namespace
    )

    first = await run_bootstrap(env, "--account-name", "Acme Fulfilment")
    assert first.returncode == 0, first.stdout + first.stderr
    keys = KEY_LINE.findall(first.stdout)
    assert len(keys) == 1, first.stdout
    assert f"temporal namespace {namespace}: created" in first.stdout
    assert "account: created acc_" in first.stdout

    # the namespace exists, with the retention asked for
    described = await describe_namespace(temporal_env, namespace)
    assert described.namespace_info.name == namespace
    assert described.config.workflow_execution_retention_ttl.ToSeconds() == 7 * 24 * 3600

    conn = await asyncpg.connect(empty_database)
    try:
        applied = [r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")]
        assert sorted(applied) == [name for _, name, _ in migration_files()]
        principal = await authenticate(conn, keys[0])
        assert principal is not None
        assert principal.roles == frozenset({"admin"})
        assert principal.account_name == "Acme Fulfilment"
        assert principal.label == KEY_LABEL

        second = await run_bootstrap(env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert KEY_LINE.search(second.stdout) is None
        assert keys[0] not in second.stdout + second.stderr
        assert "migrations: up to date" in second.stdout
        assert f"temporal namespace {namespace}: exists" in second.stdout
        assert f"already has an account ({principal.account_id})" in second.stdout

        assert await conn.fetchval("SELECT count(*) FROM accounts") == 1
        assert await conn.fetchval("SELECT count(*) FROM api_keys") == 1
        assert await authenticate(conn, keys[0]) == principal  # still the one key, still valid
    finally:
        await conn.close()


def test_bootstrap_refuses_without_a_database_url(tmp_path: Path) -> None:
    env = clean_env(TEMPORAL_ADDRESS="127.0.0.1:1", ENTRYGO_DATA_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [str(ENTRYGO), "bootstrap"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no embedded server was started instead


@pytest.mark.parametrize("name", ["", "   "])
async def test_bootstrap_refuses_an_empty_account_name(name: str) -> None:
    env = clean_env(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", TEMPORAL_ADDRESS="x:1")
    result = await run_bootstrap(env, "--account-name", name)
    assert result.returncode == 2
    assert "account name" in result.stderr


async def test_concurrent_bootstraps_create_one_account(
    empty_database: str, temporal_env: WorkflowEnvironment
) -> None:
    # every pod's init container runs it: only one of them may create the first account
    target = temporal_env.client.service_client.config.target_host
    env = clean_env(
        DATABASE_URL=empty_database,
        TEMPORAL_ADDRESS=target,
        ENTRYGO_TEMPORAL_NAMESPACE=f"bootstrap-{uuid.uuid4().hex[:12]}",
    )
    runs = await asyncio.gather(*(run_bootstrap(env) for _ in range(3)))
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr for r in runs]
    assert sum(len(KEY_LINE.findall(r.stdout)) for r in runs) == 1
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM accounts") == 1
        assert await conn.fetchval("SELECT count(*) FROM api_keys") == 1
    finally:
        await conn.close()
