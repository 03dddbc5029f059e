"""Products and orders as synced and as shown (wire models; validation of what clients send)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from domain.countries import Alpha2
from domain.money import Kg, Usd

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


class ManufacturerIn(BaseModel):
    """Who made the goods (19 CFR 141.86: manufacturer name and address)."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    address: ShortText
    city: ShortText
    country: Alpha2
    region: ShortText | None = None


class ProductIn(BaseModel):
    """A product as synced; missing customs data is allowed (planning reports it)."""

    model_config = ConfigDict(extra="forbid")

    externalId: ExternalId
    description: Annotated[str, Field(max_length=2000)] | None = None
    hsCode: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[0-9. ]+$")] | None = None
    countryOfOrigin: Alpha2 | None = None
    unitValueUsd: UsdIn | None = None
    weightKg: KgIn | None = None
    manufacturer: ManufacturerIn | None = None
    attributes: dict[str, Any] | None = None


class Product(BaseModel):
    """A product as stored."""

    id: str
    externalId: str
    description: str | None
    hsCode: str | None
    countryOfOrigin: str | None
    unitValueUsd: Usd | None
    weightKg: Kg | None
    manufacturer: dict[str, Any] | None
    attributes: dict[str, Any]
    version: int
    createdAt: datetime
    updatedAt: datetime


class ConsigneeIn(BaseModel):
    """The buyer the goods are shipped to."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    address: ShortText


class OrderLineIn(BaseModel):
    """One line of an order."""

    model_config = ConfigDict(extra="forbid")

    productId: Annotated[str, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, BeforeValidator(_integral), Field(ge=1, le=1_000_000, strict=True)]
    unitValueUsd: UsdIn | None = None


class OrderIn(BaseModel):
    """An order as synced."""

    model_config = ConfigDict(extra="forbid")

    externalId: ExternalId
    destinationCountry: Alpha2
    destinationRegion: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    destinationPostalCode: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    consignee: ConsigneeIn | None = None
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=MAX_LINES)]
    metadata: dict[str, Any] | None = None


class OrderLine(BaseModel):
    """A stored order line with its resolved unit value."""

    productId: str
    quantity: int
    unitValueUsd: Usd | None
    lineValueUsd: Usd | None


class Order(BaseModel):
    """An order as stored."""

    id: str
    externalId: str
    accountId: str
    destinationCountry: str
    destinationRegion: str | None
    destinationPostalCode: str | None
    consignee: dict[str, Any] | None
    items: list[OrderLine]
    orderValueUsd: Usd
    metadata: dict[str, Any] | None
    version: int
    createdAt: datetime
    updatedAt: datetime


class ProductSyncRequest(BaseModel):
    """`POST /api/products/sync`."""

    model_config = ConfigDict(extra="forbid")

    accountId: Annotated[str, Field(min_length=1, max_length=64)]
    items: Annotated[list[ProductIn], Field(min_length=1, max_length=MAX_ITEMS)]
    idempotencyKey: str | None = None


class OrderSyncRequest(BaseModel):
    """`POST /api/orders/sync`."""

    model_config = ConfigDict(extra="forbid")

    accountId: Annotated[str, Field(min_length=1, max_length=64)]
    items: Annotated[list[OrderIn], Field(min_length=1, max_length=MAX_ITEMS)]
    idempotencyKey: str | None = None
