"""store.reference: warehouses and brokers, secrets kept in their columns and out of models."""

import asyncpg
import pytest

from store import reference
from store.accounts import create_account
from store.errors import NotFound

ADDRESS = {"line1": "1 Dock", "city": "Riga", "country": "LV"}
WEBHOOK = {"type": "webhook", "url": "https://b.example/hook", "secret": "s" * 20}


async def account(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return await create_account(conn, "store-reference")


async def test_warehouse_defaults_and_patch(pool: asyncpg.Pool) -> None:
    account_id = await account(pool)
    async with pool.acquire() as conn:
        created = await reference.create_warehouse(
            conn, account_id, {"name": "Hub", "address": ADDRESS}
        )
        assert (created.shipment_mode, created.has_notification_secret) == ("PARCEL_DTC", False)
        patched = await reference.patch_warehouse(
            conn, account_id, created.id, {"notificationSecret": "n" * 20, "name": "Hub 2"}
        )
        row = await reference.get_warehouse_row(conn, account_id, created.id)
    assert (patched.name, patched.has_notification_secret, patched.address) == (
        "Hub 2",
        True,
        created.address,
    )
    assert row is not None
    assert row.notification_secret == "n" * 20
    assert "n" * 20 not in patched.model_dump_json()
    assert "n" * 20 not in repr(row)  # the record carries the secret, its repr does not show it


async def test_broker_transport_replaced_whole(pool: asyncpg.Pool) -> None:
    account_id = await account(pool)
    async with pool.acquire() as conn:
        created = await reference.create_broker(
            conn, account_id, {"name": "B", "transport": WEBHOOK}
        )
        assert created.supported_destinations == ["US"]
        assert "s" * 20 not in created.model_dump_json()
        patched = await reference.patch_broker(
            conn,
            account_id,
            created.id,
            {"transport": {"type": "email", "recipientEmail": "x@b.example"}},
        )
        row = await reference.get_broker_row(conn, account_id, created.id)
    assert patched.transport.model_dump() == {"type": "email", "recipientEmail": "x@b.example"}
    assert row is not None
    assert (row.transport_type, row.recipient_email) == ("email", "x@b.example")
    assert (row.webhook_url, row.webhook_secret) == (None, None)


async def test_lists_page_and_stay_in_the_account(pool: asyncpg.Pool) -> None:
    mine, theirs = await account(pool), await account(pool)
    async with pool.acquire() as conn:
        made = [
            await reference.create_warehouse(conn, mine, {"name": f"W{i}", "address": ADDRESS})
            for i in range(3)
        ]
        made.sort(key=lambda w: w.id)  # ids sort by time, and by chance within a millisecond
        foreign = await reference.create_warehouse(conn, theirs, {"name": "X", "address": ADDRESS})
        assert await reference.list_warehouses(conn, mine) == made
        assert await reference.list_warehouses(conn, mine, limit=2) == made[:2]
        assert await reference.list_warehouses(conn, mine, after=made[1].id, limit=2) == made[2:]
        with pytest.raises(NotFound):
            await reference.get_warehouse(conn, mine, foreign.id)
        with pytest.raises(NotFound):
            await reference.patch_warehouse(conn, mine, foreign.id, {"name": "taken"})
        broker = await reference.create_broker(conn, theirs, {"name": "B", "transport": WEBHOOK})
        assert await reference.list_brokers(conn, mine) == []
        with pytest.raises(NotFound):
            await reference.patch_broker(conn, mine, broker.id, {"name": "taken"})
        assert (await reference.get_warehouse(conn, theirs, foreign.id)).name == "X"


async def test_references_in_account_in_one_statement(pool: asyncpg.Pool) -> None:
    account_id, other_id = await account(pool), await account(pool)
    async with pool.acquire() as conn:
        warehouse = await reference.create_warehouse(
            conn, account_id, {"name": "Hub", "address": ADDRESS}
        )
        broker = await reference.create_broker(
            conn, account_id, {"name": "B", "transport": WEBHOOK}
        )
        found = await reference.references_in_account(conn, account_id, warehouse.id, broker.id)
        elsewhere = await reference.references_in_account(conn, other_id, warehouse.id, broker.id)
        crossed = await reference.references_in_account(conn, account_id, broker.id, warehouse.id)
        half = await reference.references_in_account(conn, account_id, warehouse.id, "br_none")
    assert (found, elsewhere, crossed, half) == (
        (True, True),
        (False, False),
        (False, False),
        (True, False),
    )
