"""Inputs and views of the reference data: warehouses, brokers, keys (§6).

Secrets (`notificationSecret`, `transport.secret`) are accepted here and never shown back.
A PATCH body names at least one field; a field sent as null clears it when the field is
optional, and is refused when the field is required.
"""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from domain.countries import Alpha2
from domain.reference import (
    Address,
    BrokerSla,
    CustomsBond,
    Secret,
    ShipmentMode,
    Text,
    TransportIn,
    Url,
)
from domain.wire import WireInput, WireModel
from store.keys import ROLES

AccountId = Annotated[str, Field(min_length=1, max_length=64)]
FilerCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
Role = Literal["integration", "reviewer", "admin"]
Destinations = Annotated[list[Alpha2], Field(min_length=1, max_length=50)]
# who a key stands for, shown as who decided: no control characters (C0, DEL, C1)
KeyLabel = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]

T = TypeVar("T")
_WAREHOUSE_REQUIRED = ("name", "address", "shipment_mode")
_BROKER_REQUIRED = ("name", "transport", "classifies_goods", "supported_destinations")
# a broker's fields that have a value always: a patch may change them, never null them
_BROKER_NEVER_NULL = (*_BROKER_REQUIRED, "reports_release")


class _Body(WireInput):
    """A request body: the wire's names only, nothing else."""


def _destinations(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


def _not_null(value: T) -> T:
    if value is None:
        raise ValueError("may not be null")
    return value


class WarehouseCreate(_Body):
    """`POST /api/warehouses`."""

    account_id: AccountId | None = None
    name: Text
    address: Address
    shipment_mode: ShipmentMode = "PARCEL_DTC"
    notification_url: Url | None = None
    notification_secret: Secret | None = None
    idempotency_key: str | None = None


def _patch_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    # what the validators enforce: at least one field, and no null for a required field (their
    # None default only marks "not sent", so it is not part of the schema)
    schema["minProperties"] = 1
    fields = model.model_fields
    never_null = {fields[n].alias or n for n in getattr(model, "NEVER_NULL", ())}
    for name, prop in schema.get("properties", {}).items():
        prop.pop("default", None)
        if name in never_null and "anyOf" in prop:
            kept = [branch for branch in prop.pop("anyOf") if branch != {"type": "null"}]
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})


class _Patch(WireInput):
    model_config = ConfigDict(json_schema_extra=_patch_schema)


class WarehousePatch(_Patch):
    """`PATCH /api/warehouses/{id}`: only the fields sent change."""

    NEVER_NULL: ClassVar[tuple[str, ...]] = _WAREHOUSE_REQUIRED

    name: Text | None = None
    address: Address | None = None
    shipment_mode: ShipmentMode | None = None
    notification_url: Url | None = None
    notification_secret: Secret | None = None

    _required = field_validator(*_WAREHOUSE_REQUIRED)(_not_null)

    @model_validator(mode="after")
    def _some(self) -> "WarehousePatch":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class BrokerCreate(_Body):
    """`POST /api/brokers`."""

    account_id: AccountId | None = None
    name: Text
    filer_code: FilerCode | None = None
    transport: TransportIn
    classifies_goods: StrictBool = False
    supported_destinations: Destinations = Field(default_factory=lambda: ["US"])
    customs_bond: CustomsBond | None = None
    reports_release: StrictBool = False
    sla: BrokerSla | None = None
    idempotency_key: str | None = None

    _destinations = field_validator("supported_destinations")(_destinations)


class BrokerPatch(_Patch):
    """`PATCH /api/brokers/{id}`: a `transport` sent replaces the whole transport."""

    NEVER_NULL: ClassVar[tuple[str, ...]] = _BROKER_NEVER_NULL

    name: Text | None = None
    filer_code: FilerCode | None = None
    transport: TransportIn | None = None
    classifies_goods: StrictBool | None = None
    supported_destinations: Destinations | None = None
    customs_bond: CustomsBond | None = None
    reports_release: StrictBool | None = None
    sla: BrokerSla | None = None

    _required = field_validator(*_BROKER_NEVER_NULL)(_not_null)
    _destinations = field_validator("supported_destinations")(_destinations)

    @model_validator(mode="after")
    def _some(self) -> "BrokerPatch":
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


class KeyCreate(_Body):
    """`POST /api/keys`."""

    account_id: AccountId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    roles: Annotated[list[Role], Field(min_length=1, max_length=len(ROLES))]
    # a person's or a system's name, shown as who approved or rejected; the name when absent
    label: KeyLabel | None = None
    idempotency_key: str | None = None


class ApiKeyView(WireModel):
    """A key as listed: never its secret nor its hash."""

    id: str
    account_id: str
    name: str
    label: str
    prefix: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyView):
    """A new key with its secret, shown in this response only (a replay carries null)."""

    key: str | None
