"""Input of artifact rendering (one customs package) and its output (rendered artifacts)."""

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from domain.money import Kg, Usd
from domain.wire import WireModel


class Party(WireModel):
    """A named party with a postal address (exporter, broker, consignee, manufacturer)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    address: str
    country: str | None = None
    identifier: str | None = None


class InvoiceLine(WireModel):
    """One order line as it goes on the invoice; `weightKg` is per unit."""

    model_config = ConfigDict(extra="forbid")

    line_no: int
    order_id: str
    order_external_id: str
    product_id: str
    sku: str
    description: str
    quantity: int
    unit_value_usd: Usd
    line_value_usd: Usd
    hs_code: str | None = None
    country_of_origin: str | None = None
    manufacturer: Party | None = None
    weight_kg: Kg | None = None


class PackageOrder(WireModel):
    """One included order: its consignee, destination and lines."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    order_external_id: str
    consignee: Party | None = None
    destination_country: str
    destination_region: str | None = None
    destination_postal_code: str | None = None
    entry_type: str | None = None
    lines: list[InvoiceLine]


class PackageFlag(WireModel):
    """A plan flag the broker must see; empty id lists mean it concerns the whole package."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    order_ids: list[str] = Field(default_factory=list)
    product_ids: list[str] = Field(default_factory=list)


class PackageWarning(WireModel):
    """A plan warning the broker should read (the plan's WARNING messages on included orders)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    order_id: str | None = None
    product_id: str | None = None
    field: str | None = None


class CustomsPackageData(WireModel):
    """Everything the artifacts of one customs package show, taken from the executed plan."""

    model_config = ConfigDict(extra="forbid")

    package_number: str
    customs_package_id: str
    export_id: str
    plan_hash: str
    ruleset_version: str
    issued_at: datetime
    exporter: Party
    broker: Party
    destination_country: str
    port_of_entry: str | None = None
    currency: Literal["USD"] = "USD"
    strategy_code: str
    orders: list[PackageOrder]
    flags: list[PackageFlag] = Field(default_factory=list)
    warnings: list[PackageWarning] = Field(default_factory=list)

    @field_validator("issued_at")
    @classmethod
    def _issued_at_in_utc(cls, value: datetime) -> datetime:
        # A naive time would otherwise take the machine's zone inside fpdf2: not deterministic.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class RenderedArtifact(WireModel):
    """One rendered file; `content` travels as base64 in JSON (the PDF is binary)."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    artifact_type: str = Field(alias="artifact_type")
    filename: str
    content_type: str
    content: bytes
    sha256: str
    size_bytes: int

    @classmethod
    def of(
        cls, artifact_type: str, filename: str, content_type: str, content: bytes
    ) -> "RenderedArtifact":
        """Wrap rendered bytes, computing their SHA-256 (hex) and size."""
        return cls(
            artifact_type=artifact_type,
            filename=filename,
            content_type=content_type,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            size_bytes=len(content),
        )
