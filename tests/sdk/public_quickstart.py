"""The public EntryGo SDK's reference flow (public docs §8.4), written as a client writes it for
the public SDK; only the import line is ours (see public_quickstart.shpbndl.txt). It reads the
account's ids from the environment."""

import os

from entrygo_client.compat import SHPBNDL, SHPBNDLError

client = SHPBNDL(api_key=os.environ["ENTRYGO_API_KEY"], base_url=os.environ["ENTRYGO_BASE_URL"])
account_id = os.environ["ENTRYGO_ACCOUNT_ID"]

try:
    # 1. sync orders; keep data[0].id
    orders = client.orders.sync(
        accountId=account_id,
        items=[
            {
                "externalId": "order-1001",
                "destinationCountry": "US",
                "destinationRegion": "NY",
                "destinationPostalCode": "10001",
                "items": [
                    {
                        "productId": os.environ["ENTRYGO_PRODUCT_ID"],
                        "quantity": 1,
                        "unitValueUsd": 40,
                    }
                ],
            }
        ],
        idempotencyKey="orders-sync-001",
    )
    order_id = orders["data"][0]["id"]

    # 2. plan
    plan = client.exports.plan(
        accountId=account_id,
        warehouseId=os.environ["ENTRYGO_WAREHOUSE_ID"],
        brokerId=os.environ["ENTRYGO_BROKER_ID"],
        destinationCountry="US",
        orderIds=[order_id],
        idempotencyKey="plan-acc-123-001",
    )
    print("exportId", plan["exportId"])
    print("planHash", plan["planHash"])
    print("readinessState", plan["readinessState"])
    if plan["readinessState"] == "BLOCKED":
        print("validationMessages", plan["validationMessages"])
        raise SystemExit(0)

    # 3. execute the batch
    result = client.exports.execute(
        accountId=account_id,
        batchId=plan["exportId"],
        idempotencyKey="execute-acc-123-001",
    )
    print("customs_package_id", result["customs_package_id"])
    print("artifacts", [a["artifact_type"] for a in result["artifacts"]])

    # 4. inspect
    export = client.exports.inspect(plan["exportId"])
    print("status", export["status"])
    print("notifications", len(export["notifications"]))
    print("events", [e["type"] for e in export["events"]])
except SHPBNDLError as err:
    print("error", err.error_code, err.message, err.field, err.details)
    raise
