"""What a customs package's documents are assembled from: the plan, and the rows it names as
they are read at package time (typed; read by `store.package_data`)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class WarehouseSource:
    """The exporter: the warehouse goods ship from."""

    name: str
    address: dict[str, Any]


@dataclass(frozen=True)
class BrokerSource:
    """The customs broker the package goes to."""

    name: str
    recipient_email: str | None
    webhook_url: str | None
    filer_code: str | None


@dataclass(frozen=True)
class OrderSource:
    """An included order."""

    id: str
    external_id: str
    consignee: dict[str, Any] | None
    destination_country: str
    destination_region: str | None
    destination_postal_code: str | None


@dataclass(frozen=True)
class LineSource:
    """An order line with the product facts the documents show."""

    order_id: str
    product_id: str
    sku: str
    description: str | None
    quantity: int
    unit_value_usd: Decimal | None
    line_value_usd: Decimal | None
    hs_code: str | None
    country_of_origin: str | None
    weight_kg: Decimal | None
    manufacturer: dict[str, Any] | None


@dataclass(frozen=True)
class PackageSource:
    """Everything besides the plan that a package's documents show."""

    warehouse: WarehouseSource
    broker: BrokerSource
    orders: dict[str, OrderSource]
    lines: list[LineSource]
