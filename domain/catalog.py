"""Products and orders as synced and as shown (wire models; validation of what clients send)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from domain.countries import Alpha2
from domain.money import Kg, Usd
from domain.wire import WireInput, WireModel

ExternalId = Annotated[str, Field(min_length=1, max_length=255)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]


def _amount_schema(whole_digits: int, places: int) -> dict[str, Any]:
    """What the server takes for an amount: a number or a decimal string, ≥ 0, with at most
    `whole_digits` digits before the point and `places` after it."""
    step = 10**-places
    return {
        "anyOf": [
            {
                "type": "number",
                "minimum": 0,
                "maximum": float(10**whole_digits) - step,
                "multipleOf": step,
            },
            {"type": "string", "pattern": f"^[0-9]{{1,{whole_digits}}}(\\.[0-9]{{1,{places}}})?$"},
        ]
    }


UsdIn = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False),
    WithJsonSchema(_amount_schema(12, 2)),
]
KgIn = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=3, allow_inf_nan=False),
    WithJsonSchema(_amount_schema(9, 3)),
]


def _integral(value: Any) -> Any:
    # JSON has one number type: 3.0 is the integer 3 (JSON Schema agrees); 3.5 and "3" are not
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


MAX_ITEMS = 1000
MAX_LINES = 500


class ManufacturerIn(WireInput):
    """Who made the goods (19 CFR 141.86: manufacturer name and address)."""

    name: ShortText
    address: ShortText
    city: ShortText
    country: Alpha2
    region: ShortText | None = None


class ProductIn(WireInput):
    """A product as synced; missing customs data is allowed (planning reports it)."""

    external_id: ExternalId
    description: Annotated[str, Field(max_length=2000)] | None = None
    hs_code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9. ]+$")] | None = None
    country_of_origin: Alpha2 | None = None
    unit_value_usd: UsdIn | None = None
    weight_kg: KgIn | None = None
    manufacturer: ManufacturerIn | None = None
    attributes: dict[str, Any] | None = None


def product_content(product: ProductIn) -> dict[str, Any]:
    """What a product says, under the wire's names, without its identity (`externalId`): its
    digest is stored beside the product, so a re-sync that changes none of it keeps the
    product's version."""
    return product.model_dump(mode="python", exclude={"external_id"})


class Product(WireModel):
    """A product as stored."""

    id: str
    external_id: str
    description: str | None
    hs_code: str | None
    country_of_origin: str | None
    unit_value_usd: Usd | None
    weight_kg: Kg | None
    manufacturer: dict[str, Any] | None
    attributes: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class ConsigneeIn(WireInput):
    """The buyer the goods are shipped to."""

    name: ShortText
    address: ShortText


class OrderLineIn(WireInput):
    """One line of an order."""

    product_id: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, BeforeValidator(_integral), Field(ge=1, le=1_000_000, strict=True)]
    unit_value_usd: UsdIn | None = None


class OrderIn(WireInput):
    """An order as synced."""

    external_id: ExternalId
    destination_country: Alpha2
    destination_region: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    destination_postal_code: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    consignee: ConsigneeIn | None = None
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=MAX_LINES)]
    metadata: dict[str, Any] | None = None


class OrderLine(WireModel):
    """A stored order line with its resolved unit value."""

    product_id: str
    quantity: int
    unit_value_usd: Usd | None
    line_value_usd: Usd | None


class Order(WireModel):
    """An order as stored."""

    id: str
    external_id: str
    account_id: str
    destination_country: str
    destination_region: str | None
    destination_postal_code: str | None
    consignee: dict[str, Any] | None
    items: list[OrderLine]
    order_value_usd: Usd
    metadata: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


class ProductSyncRequest(WireInput):
    """`POST /api/products/sync`."""

    account_id: Annotated[str, Field(min_length=1, max_length=64)]
    items: Annotated[list[ProductIn], Field(min_length=1, max_length=MAX_ITEMS)]
    idempotency_key: str | None = None


class OrderSyncRequest(WireInput):
    """`POST /api/orders/sync`."""

    account_id: Annotated[str, Field(min_length=1, max_length=64)]
    items: Annotated[list[OrderIn], Field(min_length=1, max_length=MAX_ITEMS)]
    idempotency_key: str | None = None
