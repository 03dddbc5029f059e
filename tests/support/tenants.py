"""Accounts to test with: a tenant with one key per role, and a world (a tenant with a
warehouse, a broker and products) ready to plan."""

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from store import accounts


@dataclass
class Tenant:
    """An account with one key per role and one with all roles."""

    account_id: str
    keys: dict[str, str]

    def auth(self, role: str = "all") -> dict[str, str]:
        """Headers authenticating as the key of `role`."""
        return {"authorization": f"Bearer {self.keys[role]}"}


async def make_tenant(pool: asyncpg.Pool, name: str = "tenant") -> Tenant:
    """Create an account with keys for each role."""
    async with pool.acquire() as conn:
        account_id = await accounts.create_account(conn, name)
        keys = {}
        for role in ("integration", "reviewer", "admin"):
            _, keys[role] = await accounts.create_key(conn, account_id, role, [role])
        _, keys["all"] = await accounts.create_key(
            conn, account_id, "all", ["integration", "reviewer", "admin"]
        )
    return Tenant(account_id, keys)


GOOD_PRODUCT = {
    "externalId": "SKU-SCARF",
    "description": "Knitted scarf of merino wool",
    "hsCode": "6117.10.6010",
    "countryOfOrigin": "SE",
    "unitValueUsd": 40,
    "weightKg": 0.2,
    "manufacturer": {
        "name": "Atelier Nord",
        "address": "Gatan 1",
        "city": "Malmo",
        "country": "SE",
    },
    "attributes": {"fiberComposition": "100% wool"},
}
REVIEW_PRODUCT = {**GOOD_PRODUCT, "externalId": "SKU-SCARF-8", "hsCode": "6117.10"}
BLOCKED_PRODUCT = {**GOOD_PRODUCT, "externalId": "SKU-NOHS", "hsCode": None}


@dataclass
class World:
    """A tenant with a warehouse, a broker and products ready to plan with."""

    tenant: Tenant
    warehouse_id: str
    broker_id: str
    products: dict[str, str]

    async def orders(self, http: httpx.AsyncClient, *skus: str, prefix: str = "O") -> list[str]:
        """Sync one US order per sku; returns the order ids."""
        items = [
            {
                "externalId": f"{prefix}-{uuid.uuid4().hex[:8]}",
                "destinationCountry": "US",
                "destinationRegion": "NY",
                "destinationPostalCode": "10001",
                "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
                "items": [{"productId": self.products[sku], "quantity": 2}],
            }
            for sku in skus
        ]
        r = await http.post(
            "/api/orders/sync",
            json={"accountId": self.tenant.account_id, "items": items},
            headers=self.tenant.auth(),
        )
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["data"]]

    def scenario_order(self, scenario: str, prefix: str = "O") -> dict[str, Any]:
        """A US order of the scarf whose metadata picks the sandbox broker's scenario."""
        return {
            "externalId": f"{prefix}-{uuid.uuid4().hex[:8]}",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
            "metadata": {"sandboxScenario": scenario},
            "items": [{"productId": self.products["SKU-SCARF"], "quantity": 2}],
        }

    def plan_body(self, order_ids: list[str], **extra: Any) -> dict[str, Any]:
        """A plan request for these orders."""
        return {
            "accountId": self.tenant.account_id,
            "warehouseId": self.warehouse_id,
            "brokerId": self.broker_id,
            "orderIds": order_ids,
            **extra,
        }


async def make_world(
    pool: asyncpg.Pool,
    tenant: Tenant,
    *,
    transport: dict[str, Any] | None = None,
    warehouse: dict[str, Any] | None = None,
) -> World:
    """Create references and the three test products for `tenant`."""
    from store.products import upsert_products
    from store.reference import create_broker, create_warehouse

    async with pool.acquire() as conn:
        wh = await create_warehouse(
            conn,
            tenant.account_id,
            warehouse
            or {
                "name": "EU hub",
                "address": {"line1": "Hamnv 1", "city": "Goteborg", "country": "SE"},
            },
        )
        br = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": "Broker",
                "transport": transport or {"type": "email", "recipientEmail": "b@example.com"},
            },
        )
        rows = await upsert_products(
            conn, tenant.account_id, [GOOD_PRODUCT, REVIEW_PRODUCT, BLOCKED_PRODUCT]
        )
    return World(tenant, wh.id, br.id, {r.external_id: r.id for r in rows})
