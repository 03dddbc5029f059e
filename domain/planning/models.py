"""Planning input (a snapshot of account data) and outcome, with the field names of the wire."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.money import Kg, Usd
from domain.reference import ShipmentMode

ReadinessState = Literal["READY", "REVIEW_REQUIRED", "BLOCKED"]
EntryType = Literal["11", "01", "03", "13"]
Severity = Literal["ERROR", "WARNING", "INFO"]
NextAction = Literal["EXECUTE", "REQUEST_REVIEW", "FIX_DATA_AND_REPLAN", "NONE"]
StrategyCode = Literal[
    "NONE",
    "SECTION_321_DE_MINIMIS",
    "POSTAL_INFORMAL_ENTRY",
    "PER_ORDER_INFORMAL_ENTRY",
    "CONSOLIDATED_INFORMAL_ENTRY",
    "CONSOLIDATED_FORMAL_ENTRY",
    "PER_ORDER_FORMAL_ENTRY",
    "MIXED_SPLIT",
    "BROKER_DETERMINES",
]


class _Snapshot(BaseModel):
    # frozen: the planner must never change its input; unknown keys are ignored so a store row
    # with more columns can be validated as it is
    model_config = ConfigDict(frozen=True)


class Manufacturer(_Snapshot):
    """Who made the goods."""

    name: str
    address: str
    city: str
    country: str
    region: str | None = None


class ProductSnapshot(_Snapshot):
    """A product as planning reads it."""

    id: str
    externalId: str
    description: str | None = None
    hsCode: str | None = None
    countryOfOrigin: str | None = None
    unitValueUsd: Usd | None = None
    weightKg: Kg | None = None
    manufacturer: Manufacturer | None = None
    attributes: dict[str, Any] = {}


class LineSnapshot(_Snapshot):
    """An order line; its own unit value wins over the product's."""

    productId: str
    quantity: int
    unitValueUsd: Usd | None = None


class Consignee(_Snapshot):
    """The buyer the goods go to."""

    name: str
    address: str


class OrderSnapshot(_Snapshot):
    """An order as planning reads it."""

    id: str
    externalId: str
    destinationCountry: str
    destinationRegion: str | None = None
    destinationPostalCode: str | None = None
    consignee: Consignee | None = None
    items: list[LineSnapshot]


class WarehouseSnapshot(_Snapshot):
    """The shipping warehouse's decision fields."""

    id: str
    country: str
    shipmentMode: ShipmentMode


class BrokerSnapshot(_Snapshot):
    """The broker's decision fields."""

    id: str
    transportType: Literal["email", "webhook"]
    recipientEmail: str | None = None
    url: str | None = None
    classifiesGoods: bool
    supportedDestinations: list[str]
    hasCustomsBond: bool = False


class PlanningSnapshot(_Snapshot):
    """Everything one planning run reads: requested ids as sent, found orders and their products."""

    destinationCountry: str
    warehouse: WarehouseSnapshot
    broker: BrokerSnapshot
    requestedOrderIds: list[str]
    orders: dict[str, OrderSnapshot]
    products: dict[str, ProductSnapshot]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Decision(_Out):
    """The decision on one requested order."""

    orderId: str
    decision: Literal["INCLUDED", "EXCLUDED"]
    reasonCodes: list[str]


class ExportUnit(_Out):
    """Included orders entered under one entry type."""

    unitId: str
    orderIds: list[str]
    entryType: EntryType
    valueUsd: Usd
    weightKg: Kg


class ValidationMessage(_Out):
    """One rule that fired, where it fired."""

    code: str
    severity: Severity
    ruleId: str
    message: str
    orderId: str | None = None
    productId: str | None = None
    field: str | None = None


class Flag(_Out):
    """Something the broker needs to know about the included orders."""

    code: str
    message: str
    orderIds: list[str]
    productIds: list[str]


class MissingData(_Out):
    """A field a rule needed and did not find."""

    orderId: str
    productId: str | None = None
    field: str


class StrategyHint(_Out):
    """How the broker should enter the included orders."""

    code: StrategyCode
    reason: str
    entryTypeHints: dict[str, EntryType]


class Totals(_Out):
    """Counts over the requested orders; lines, value and weight over the included ones."""

    orders: int
    includedOrders: int
    lines: int
    valueUsd: Usd
    weightKg: Kg


class PlanOutcome(_Out):
    """What planning decides (the plan fields of CONTRACT §9.1 that planning owns)."""

    readinessState: ReadinessState
    planHash: str
    rulesetVersion: str
    included_order_ids: list[str]
    excluded_order_ids: list[str]
    decisions: list[Decision]
    exportUnits: list[ExportUnit]
    validationMessages: list[ValidationMessage]
    flags: list[Flag]
    missing_data: list[MissingData]
    strategyHint: StrategyHint
    next_recommended_action: NextAction
    totals: Totals
