"""The dev stack's waiting exports: one export in each state the broker loop can leave it in
(the broker asks for information, customs holds the goods, a correctable rejection), so the
console shows them from the first start. Created once over the API, remembered in
`<data_dir>/waiting-exports.json`."""

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from entrygo.seed import READY_PRODUCTS

# scenario of the sandbox broker → the status its export waits in
WAITING = {
    "info_request": "BROKER_ACTION_REQUIRED",
    "hold_then_release": "CUSTOMS_HOLD",
    "reject_correctable": "BROKER_ACTION_REQUIRED",
}
# the demo's hold lasts a day (the sandbox broker forgets it when it restarts)
HOLD_SECONDS = 86400


def seed_waiting_exports(
    api_url: str, broker_control_url: str, demo: dict[str, Any], data_dir: Path
) -> dict[str, str]:
    """Create the waiting exports once; scenario → export id (those of the first run later)."""
    saved = data_dir / "waiting-exports.json"
    if saved.exists():
        known: dict[str, str] = json.loads(saved.read_text())
        return known
    httpx.post(
        f"{broker_control_url}/_sandbox/faults", json={"holdSeconds": HOLD_SECONDS}, timeout=10
    ).raise_for_status()
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    created: dict[str, str] = {}
    with httpx.Client(base_url=api_url, headers=headers, timeout=60) as http:
        for scenario in WAITING:
            created[scenario] = _executed(http, demo, scenario)
    saved.write_text(json.dumps(created, indent=2))
    return created


def _executed(http: httpx.Client, demo: dict[str, Any], scenario: str) -> str:
    account = demo["accountId"]
    order = {
        "externalId": f"waiting-{scenario}-{uuid.uuid4().hex[:6]}",
        "destinationCountry": "US",
        "destinationRegion": "NY",
        "destinationPostalCode": "10001",
        "consignee": {"name": "Demo Buyer", "address": "1 Demo Street, New York"},
        "metadata": {"sandboxScenario": scenario},
        "items": [{"productId": demo["productIds"][READY_PRODUCTS - 1], "quantity": 1}],
    }
    r = http.post("/api/orders/sync", json={"accountId": account, "items": [order]})
    r.raise_for_status()
    plan = http.post(
        "/api/exports/plan",
        json={
            "accountId": account,
            "warehouseId": demo["warehouseId"],
            "brokerId": demo["brokerId"],
            "orderIds": [r.json()["data"][0]["id"]],
        },
    )
    plan.raise_for_status()
    export_id = str(plan.json()["exportId"])
    executed = http.post("/api/exports/execute", json={"accountId": account, "batchId": export_id})
    executed.raise_for_status()
    return export_id
