"""Input of artifact rendering (one customs package) and its output (rendered artifacts)."""

import hashlib
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.money import Kg, Usd


class Party(BaseModel):
    """A named party with a postal address (exporter, broker, consignee, manufacturer)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    address: str
    country: str | None = None
    identifier: str | None = None


class InvoiceLine(BaseModel):
    """One order line as it goes on the invoice; `weightKg` is per unit."""

    model_config = ConfigDict(extra="forbid")

    lineNo: int
    orderId: str
    orderExternalId: str
    productId: str
    sku: str
    description: str
    quantity: int
    unitValueUsd: Usd
    lineValueUsd: Usd
    hsCode: str | None = None
    countryOfOrigin: str | None = None
    manufacturer: Party | None = None
    weightKg: Kg | None = None


class PackageOrder(BaseModel):
    """One included order: its consignee, destination and lines."""

    model_config = ConfigDict(extra="forbid")

    orderId: str
    orderExternalId: str
    consignee: Party | None = None
    destinationCountry: str
    destinationRegion: str | None = None
    destinationPostalCode: str | None = None
    entryType: str | None = None
    lines: list[InvoiceLine]


class PackageFlag(BaseModel):
    """A plan flag the broker must see; empty id lists mean it concerns the whole package."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    orderIds: list[str] = Field(default_factory=list)
    productIds: list[str] = Field(default_factory=list)


class PackageWarning(BaseModel):
    """A plan warning the broker should read (the plan's WARNING messages on included orders)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    orderId: str | None = None
    productId: str | None = None
    field: str | None = None


class CustomsPackageData(BaseModel):
    """Everything the artifacts of one customs package show, taken from the executed plan."""

    model_config = ConfigDict(extra="forbid")

    packageNumber: str
    customsPackageId: str
    exportId: str
    planHash: str
    rulesetVersion: str
    issuedAt: datetime
    exporter: Party
    broker: Party
    destinationCountry: str
    portOfEntry: str | None = None
    currency: Literal["USD"] = "USD"
    strategyCode: str
    orders: list[PackageOrder]
    flags: list[PackageFlag] = Field(default_factory=list)
    warnings: list[PackageWarning] = Field(default_factory=list)

    @field_validator("issuedAt")
    @classmethod
    def _issued_at_in_utc(cls, value: datetime) -> datetime:
        # A naive time would otherwise take the machine's zone inside fpdf2: not deterministic.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class RenderedArtifact(BaseModel):
    """One rendered file; `content` travels as base64 in JSON (the PDF is binary)."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    artifact_type: str
    filename: str
    contentType: str
    content: bytes
    sha256: str
    sizeBytes: int

    @classmethod
    def of(
        cls, artifact_type: str, filename: str, content_type: str, content: bytes
    ) -> "RenderedArtifact":
        """Wrap rendered bytes, computing their SHA-256 (hex) and size."""
        return cls(
            artifact_type=artifact_type,
            filename=filename,
            contentType=content_type,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            sizeBytes=len(content),
        )
