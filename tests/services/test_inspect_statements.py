"""Inspect, the call clients poll most, reads the export and everything it shows in one statement
(store/inspection.py): counted on the real pool and database, so a read added beside it cannot
creep back unnoticed."""

from typing import Any

import asyncpg
import httpx

from config.settings import Settings
from services.context import Context, Intent, Runtime
from services.exports import reading
from services.temporal import TemporalGate
from store import exports
from store.accounts import Principal
from tests.support.exports_api import inspect, planned
from tests.support.statements import CountingPool
from tests.support.tenants import World


def context(pool: CountingPool, settings: Settings, world: World) -> Context:
    principal = Principal(world.tenant.account_id, "tenant", "key_test", frozenset({"reviewer"}))
    return Context(Runtime(pool, TemporalGate(settings), settings), Intent(principal))


async def test_an_inspect_is_one_statement(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    export_id = (await planned(http, world, "SKU-SCARF-8"))["exportId"]
    counted = CountingPool(pool)
    view = await reading.inspect(context(counted, settings, world), export_id)
    assert len(counted.statements) == 1, counted.statements
    # the same answer the route gives
    r = await inspect(http, world.tenant, export_id)
    assert r.json() == view.model_dump(mode="json")


async def test_the_view_of_a_loaded_export_is_one_statement(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool, settings: Settings
) -> None:
    export_id = (await planned(http, world, "SKU-SCARF"))["exportId"]
    export = await exports.get_export(pool, world.tenant.account_id, export_id)
    counted = CountingPool(pool)
    view = await reading.view_of(context(counted, settings, world), export, live=False)
    assert len(counted.statements) == 1, counted.statements
    assert view.export_id == export_id
