"""The dev stack's demo data: created once, remembered in `<data_dir>/demo.json`."""

import json
from datetime import date
from pathlib import Path
from typing import Any

from domain.screening.csl import load_csl
from store import accounts, reference, screening
from store.db import Connection

DEMO_BROKER_SECRET = "sandbox-broker-secret-0001"  # noqa: S105  (dev-only sandbox broker)
# the demo brokers file formal entries under a continuous bond, so E-006 stays quiet
DEMO_BOND = {"type": "CONTINUOUS", "suretyCode": "999"}
# the first demo products plan READY on their own; the last two ask for review / are blocked
READY_PRODUCTS = 3
# who each demo key stands for (shown as who approved or rejected); the key names stay
DEMO_KEY_LABELS = {
    "integration": "Integration bot (demo)",
    "reviewer": "Dana Diaz (demo reviewer)",
    "admin": "Alex Admin (demo)",
}


# a small restricted-party list in the official Consolidated Screening List format (real public
# entries), loaded when no list was imported, so plans of the dev stack are screened
SEED_SCREENING_LIST = Path(__file__).parent / "data" / "csl-seed.csv"
SEED_SCREENING_DATE = date(2026, 12, 7)


async def seed_screening_list(conn: Connection) -> str:
    """Import the seed list unless some version is already imported; the current version."""
    current = await screening.current_version(conn)
    if current is not None:
        return current
    entries = load_csl(SEED_SCREENING_LIST.read_bytes())
    async with conn.transaction():
        saved, _ = await screening.save_list(
            conn, SEED_SCREENING_DATE, SEED_SCREENING_LIST.name, entries
        )
    return saved.version


def demo_products() -> list[dict[str, Any]]:
    """Products for the demo: three that plan READY, a toy that asks for review, saffron that is
    blocked."""
    maker = {
        "name": "Atelier Nord AB",
        "address": "Industrigatan 4",
        "city": "Malmö",
        "country": "SE",
    }
    return [
        {
            "externalId": "SKU-WOOL-SCARF",
            "description": "Knitted scarf, 100% merino wool",
            "hsCode": "6117.10.6010",
            "countryOfOrigin": "SE",
            "unitValueUsd": 45.0,
            "weightKg": 0.2,
            "manufacturer": maker,
            "attributes": {"fiberComposition": "100% wool"},
        },
        {
            "externalId": "SKU-CERAMIC-MUG",
            "description": "Stoneware coffee mug, glazed, 350 ml",
            "hsCode": "6912.00.4400",
            "countryOfOrigin": "PT",
            "unitValueUsd": 18.5,
            "weightKg": 0.4,
            "manufacturer": {**maker, "name": "Ceramica Lisboa", "country": "PT"},
        },
        {
            "externalId": "SKU-LEATHER-WALLET",
            "description": "Bifold wallet of bovine leather",
            "hsCode": "4202.31.6000",
            "countryOfOrigin": "IT",
            "unitValueUsd": 60.0,
            "weightKg": 0.1,
            "manufacturer": {**maker, "name": "Pelle Firenze", "country": "IT"},
        },
        {
            # a children's product: CPSC certificate eFiling asks for review (G-008)
            "externalId": "SKU-WOODEN-TOY",
            "description": "Wooden toy train set with six cars",
            "hsCode": "9503.00.0073",
            "countryOfOrigin": "DE",
            "unitValueUsd": 35.0,
            "weightKg": 0.6,
            "manufacturer": {
                **maker,
                "name": "Holzspiel GmbH",
                "city": "Nuremberg",
                "country": "DE",
            },
        },
        {
            # Iranian origin is embargoed (S-001): a plan of it alone is blocked
            "externalId": "SKU-SAFFRON",
            "description": "Saffron threads, 1 g tin",
            "hsCode": "0910.20.0000",
            "countryOfOrigin": "IR",
            "unitValueUsd": 12.0,
            "weightKg": 0.05,
            "manufacturer": {
                **maker,
                "name": "Golden Threads Co",
                "city": "Mashhad",
                "country": "IR",
            },
        },
    ]


async def seed_demo(
    conn: Connection, data_dir: Path, broker_url: str, mail_to: str
) -> dict[str, Any]:
    """Create the demo account once; later calls return what the first one saved."""
    saved = data_dir / "demo.json"
    if saved.exists():
        demo: dict[str, Any] = json.loads(saved.read_text())
        if await accounts.account_exists(conn, demo["accountId"]):
            return demo
    async with conn.transaction():
        account_id = await accounts.create_account(conn, "Demo Merchant")
        keys = {}
        for role in ("integration", "reviewer", "admin"):
            _, secret = await accounts.create_key(
                conn, account_id, f"demo {role}", [role], label=DEMO_KEY_LABELS[role]
            )
            keys[role] = secret
        warehouse = await reference.create_warehouse(
            conn,
            account_id,
            {
                "name": "Demo EU Fulfilment",
                "address": {"line1": "Hamnvägen 1", "city": "Göteborg", "country": "SE"},
                "shipmentMode": "PARCEL_DTC",
            },
        )
        webhook = await reference.create_broker(
            conn,
            account_id,
            {
                "name": "Sandbox Broker (webhook)",
                "filerCode": "SBX",
                "transport": {"type": "webhook", "url": broker_url, "secret": DEMO_BROKER_SECRET},
                "customsBond": DEMO_BOND,
                # the sandbox broker files the entry and reports the goods' release
                "reportsRelease": True,
            },
        )
        email = await reference.create_broker(
            conn,
            account_id,
            {
                "name": "Sandbox Broker (email)",
                "transport": {"type": "email", "recipientEmail": mail_to},
                "customsBond": DEMO_BOND,
            },
        )
        products = await _seed_products(conn, account_id)
    demo = {
        "accountId": account_id,
        "keys": keys,
        "warehouseId": warehouse.id,
        "brokerId": webhook.id,
        "emailBrokerId": email.id,
        "productIds": products,
    }
    saved.write_text(json.dumps(demo, indent=2))
    saved.chmod(0o600)
    return demo


async def _seed_products(conn: Connection, account_id: str) -> list[str]:
    from store.products import upsert_products  # noqa: PLC0415  (issue order: products come later)

    rows = await upsert_products(conn, account_id, demo_products())
    return [r.id for r in rows]
