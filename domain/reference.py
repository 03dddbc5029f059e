"""Warehouses and brokers as the API shows them (secrets are write-only and never in these)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from domain.countries import Alpha2
from domain.wire import WireInput, WireModel

ShipmentMode = Literal["PARCEL_DTC", "BULK_TO_US_WAREHOUSE", "POSTAL"]
Text = Annotated[str, Field(min_length=1, max_length=500)]
# Explicit classes, not \s: Python's and JavaScript's \s differ (U+0085, U+001C…U+001F), and
# clients validate with the latter. Controls and spaces are out; NUL could not be stored anyway.
# What we send to (broker webhooks, warehouse notifications, webhook endpoints): an ASCII host
# name (labels of 1–63) or an IPv4 address, an optional port, then any path. The schema says all
# the server checks of the form, so a schema-valid URL is never refused for its form (only for
# where it points: the outbound address policy).
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::[0-9]{1,5})?"
        r"(?:[/?#][^\x00-\x20\x7f]*)?$",
    ),
]
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$",
    ),
]
Secret = Annotated[str, Field(min_length=16, max_length=500)]


class Address(WireInput):
    """A postal address; country is ISO 3166-1 alpha-2."""

    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    country: Alpha2


class Warehouse(WireModel):
    """A warehouse of the account."""

    id: str
    name: str
    address: Address
    shipment_mode: ShipmentMode
    notification_url: str | None
    has_notification_secret: bool
    created_at: datetime
    updated_at: datetime


class EmailTransport(WireInput):
    """The broker takes submissions by email."""

    type: Literal["email"]
    recipient_email: Email


class EmailTransportView(WireModel):
    """An email transport as shown: the address as stored (input rules may have tightened)."""

    type: Literal["email"]
    recipient_email: str


class WebhookTransportIn(WireInput):
    """The broker takes submissions as signed webhooks (secret is write-only)."""

    type: Literal["webhook"]
    url: Url
    secret: Secret


class WebhookTransport(WireModel):
    """A webhook transport as shown (without its secret)."""

    type: Literal["webhook"]
    url: str


TransportIn = Annotated[EmailTransport | WebhookTransportIn, Field(discriminator="type")]
TransportOut = Annotated[EmailTransportView | WebhookTransport, Field(discriminator="type")]


class CustomsBond(WireInput):
    """The customs bond the broker files formal entries under (E-006)."""

    type: Literal["CONTINUOUS", "SINGLE_TRANSACTION"]
    # the surety company's CBP code: three letters or digits
    surety_code: Annotated[str, Field(pattern=r"^[A-Z0-9]{3}$")] | None = None


class BrokerSla(WireInput):
    """How long the broker may take (docs/broker-protocol.md): to acknowledge a submission, and
    to decide on it once acknowledged; 2 h and 48 h when not set."""

    acknowledge_within_seconds: Annotated[int, Field(ge=1, le=30 * 86400)] = 7200
    decide_within_seconds: Annotated[int, Field(ge=1, le=90 * 86400)] = 172800


class Broker(WireModel):
    """A customs broker of the account."""

    id: str
    name: str
    filer_code: str | None
    transport: TransportOut
    classifies_goods: bool
    supported_destinations: list[str]
    customs_bond: CustomsBond | None = None
    # only RELEASED completes an export of a broker that reports the goods' release
    reports_release: bool = False
    sla: BrokerSla = Field(default_factory=BrokerSla)
    created_at: datetime
    updated_at: datetime
