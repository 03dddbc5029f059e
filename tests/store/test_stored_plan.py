"""store.exports.get_plan: the stored plan alone, read as the plan answer needs it."""

import json

import asyncpg
import pytest

from domain.planning.document import PlanDocument
from store.accounts import create_account
from store.errors import NotFound
from store.exports import get_export, get_plan
from store.ids import new_id
from tests.support.stored_exports import export_with_references


async def test_the_plan_read_alone_is_the_plan_of_the_row(pool: asyncpg.Pool) -> None:
    export_id = new_id("exp")
    async with pool.acquire() as conn:
        async with conn.transaction():
            stored = await export_with_references(conn, export_id)
        other = await create_account(conn, "store-plan-other")
        plan = await get_plan(conn, stored.account_id, export_id)
        row = await get_export(conn, stored.account_id, export_id)
        with pytest.raises(NotFound):
            await get_plan(conn, other, export_id)
        with pytest.raises(NotFound):
            await get_plan(conn, stored.account_id, new_id("exp"))
        text = await conn.fetchval("SELECT plan::text FROM exports WHERE id = $1", export_id)
    assert isinstance(plan, PlanDocument)
    assert plan == row.plan
    # the answer's bytes: what the whole row's plan (read through the dict) gives
    assert plan.model_dump_json() == row.plan.model_dump_json()
    assert plan.model_dump_json() == PlanDocument.model_validate(json.loads(text)).model_dump_json()
