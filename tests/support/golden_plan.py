"""The golden planning snapshot and its planHash under rule pack us-2026.11 (plan date
2026-11-26): the literal every change to planning must keep."""

GOLDEN_SNAPSHOT = {
    "destinationCountry": "US",
    "warehouse": {"id": "wh_golden", "country": "DE", "shipmentMode": "PARCEL_DTC"},
    "broker": {
        "id": "br_golden",
        "transportType": "email",
        "recipientEmail": "entries@broker.example",
        "classifiesGoods": False,
        "supportedDestinations": ["US"],
    },
    "requestedOrderIds": ["ord_b", "ord_a", "ord_missing", "ord_a"],
    "orders": {
        "ord_a": {
            "id": "ord_a",
            "externalId": "1001",
            "destinationCountry": "US",
            "destinationRegion": "CA",
            "destinationPostalCode": "94105",
            "consignee": {"name": "Ana Díaz", "address": "1 Market St"},
            "items": [{"productId": "prod_shirt", "quantity": 3, "unitValueUsd": "19.90"}],
        },
        "ord_b": {
            "id": "ord_b",
            "externalId": "1002",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": "Bo Li", "address": "5 Main St"},
            "items": [{"productId": "prod_mug", "quantity": 2}],
        },
    },
    "products": {
        "prod_shirt": {
            "id": "prod_shirt",
            "externalId": "SHIRT-1",
            "description": "Men's cotton T-shirt, crew neck",
            "hsCode": "6109.10.0012",
            "countryOfOrigin": "CN",
            "unitValueUsd": "21.00",
            "weightKg": "0.180",
            "manufacturer": None,
            "attributes": {"fiberComposition": "100% cotton"},
        },
        "prod_mug": {
            "id": "prod_mug",
            "externalId": "MUG-1",
            "description": "Glazed stoneware coffee mug, 350 ml",
            "hsCode": "6912.00.4810",
            "countryOfOrigin": "PT",
            "unitValueUsd": "15",
            "weightKg": "0.4",
            "manufacturer": {
                "name": "Ceramica Norte Lda",
                "address": "Rua das Flores 12",
                "city": "Aveiro",
                "country": "PT",
            },
            "attributes": {},
        },
    },
}
GOLDEN_HASH = "sha256:5548933b3fac25e6a0087c692256879148c84a4b68fe22e16c3432fcbfcf4ec2"
