"""Planning input (a snapshot of account data) and outcome: snake_case attributes, the wire's
names by alias."""

from typing import Any, Literal

from pydantic import ConfigDict, Field

from domain.money import Kg, Usd
from domain.reference import ShipmentMode
from domain.status import Readiness
from domain.wire import WireModel

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


class _Snapshot(WireModel):
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
    external_id: str
    description: str | None = None
    hs_code: str | None = None
    country_of_origin: str | None = None
    unit_value_usd: Usd | None = None
    weight_kg: Kg | None = None
    manufacturer: Manufacturer | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class LineSnapshot(_Snapshot):
    """An order line; its own unit value wins over the product's."""

    product_id: str
    quantity: int
    unit_value_usd: Usd | None = None


class Consignee(_Snapshot):
    """The buyer the goods go to."""

    name: str
    address: str


class OrderSnapshot(_Snapshot):
    """An order as planning reads it."""

    id: str
    external_id: str
    destination_country: str
    destination_region: str | None = None
    destination_postal_code: str | None = None
    consignee: Consignee | None = None
    items: list[LineSnapshot]


class WarehouseSnapshot(_Snapshot):
    """The shipping warehouse's decision fields."""

    id: str
    country: str
    shipment_mode: ShipmentMode


class BrokerSnapshot(_Snapshot):
    """The broker's decision fields."""

    id: str
    transport_type: Literal["email", "webhook"]
    recipient_email: str | None = None
    url: str | None = None
    classifies_goods: bool
    supported_destinations: list[str]
    has_customs_bond: bool = False


class PlanningSnapshot(_Snapshot):
    """Everything one planning run reads: requested ids as sent, found orders and their products."""

    destination_country: str
    warehouse: WarehouseSnapshot
    broker: BrokerSnapshot
    requested_order_ids: list[str]
    orders: dict[str, OrderSnapshot]
    products: dict[str, ProductSnapshot]
    # the restricted-party list the parties are screened against (the newest loaded), if any
    screening_list_version: str | None = None


class _Out(WireModel):
    model_config = ConfigDict(frozen=True)


def _absent_when_none(value: object) -> bool:
    return value is None


class DecisionLine(_Out):
    """One line of a decided order: its product and the manufacturer's MID."""

    product_id: str
    quantity: int
    # None when the manufacturer is unknown or its data cannot produce one (D-016, D-019)
    manufacturer_id: str | None


class Decision(_Out):
    """The decision on one requested order."""

    order_id: str
    decision: Literal["INCLUDED", "EXCLUDED"]
    reason_codes: list[str]
    # under a pack that builds MIDs (us-2027.01 on); absent from the plans of older packs
    lines: list[DecisionLine] | None = Field(default=None, exclude_if=_absent_when_none)


class ExportUnit(_Out):
    """Included orders entered under one entry type."""

    unit_id: str
    order_ids: list[str]
    entry_type: EntryType
    value_usd: Usd
    weight_kg: Kg


class ValidationMessage(_Out):
    """One rule that fired, where it fired."""

    code: str
    severity: Severity
    rule_id: str
    message: str
    order_id: str | None = None
    product_id: str | None = None
    field: str | None = None


class Flag(_Out):
    """Something the broker needs to know about the included orders."""

    code: str
    message: str
    order_ids: list[str]
    product_ids: list[str]


class MissingData(_Out):
    """A field a rule needed and did not find."""

    order_id: str
    product_id: str | None = None
    field: str


class StrategyHint(_Out):
    """How the broker should enter the included orders."""

    code: StrategyCode
    reason: str
    entry_type_hints: dict[str, EntryType]


class Totals(_Out):
    """Counts over the requested orders; lines, value and weight over the included ones."""

    orders: int
    included_orders: int
    lines: int
    value_usd: Usd
    weight_kg: Kg


class PlanOutcome(_Out):
    """What planning decides (the plan fields of CONTRACT §9.1 that planning owns)."""

    readiness_state: Readiness
    plan_hash: str
    ruleset_version: str
    included_order_ids: list[str] = Field(alias="included_order_ids")
    excluded_order_ids: list[str] = Field(alias="excluded_order_ids")
    decisions: list[Decision]
    export_units: list[ExportUnit]
    validation_messages: list[ValidationMessage]
    flags: list[Flag]
    missing_data: list[MissingData] = Field(alias="missing_data")
    strategy_hint: StrategyHint
    next_recommended_action: NextAction = Field(alias="next_recommended_action")
    totals: Totals
    # the restricted-party list the parties were screened against (us-2027.01 on)
    screening_list_version: str | None = Field(default=None, exclude_if=_absent_when_none)
