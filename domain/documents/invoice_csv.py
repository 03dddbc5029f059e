"""`cci_csv`: the invoice flattened to one row per line item (RFC 4180, UTF-8, no BOM).

Package and order fields repeat on every row so each row stands alone in a broker's import.
Cell text is written exactly as given (the csv module quotes commas, quotes and newlines).
"""

import csv
import io

from domain.documents.consignee import ConsigneeBlock
from domain.documents.invoice import CommercialInvoice, InvoiceItem, InvoiceOrder, flag_applies
from domain.documents.models import PackageFlag, Party, RenderedArtifact

ARTIFACT_TYPE = "cci_csv"
FILENAME = "commercial_customs_invoice.csv"
CONTENT_TYPE = "text/csv"

_PARTY_FIELDS = ("Name", "Address", "Country", "Identifier")

HEADER: tuple[str, ...] = (
    "packageNumber",
    "planHash",
    "rulesetVersion",
    "invoiceDate",
    "currency",
    "destinationCountry",
    "portOfEntry",
    *(f"exporter{field}" for field in _PARTY_FIELDS),
    *(f"broker{field}" for field in _PARTY_FIELDS),
    "orderId",
    "orderExternalId",
    *(f"consignee{field}" for field in _PARTY_FIELDS),
    "orderDestinationCountry",
    "orderDestinationRegion",
    "orderDestinationPostalCode",
    "entryType",
    "lineNo",
    "productId",
    "sku",
    "description",
    "quantity",
    "unitValueUsd",
    "lineValueUsd",
    "hsCode",
    "countryOfOrigin",
    *(f"manufacturer{field}" for field in _PARTY_FIELDS),
    "unitWeightKg",
    "lineWeightKg",
    "flags",
)


def _party(party: Party | None) -> list[str]:
    if party is None:
        return ["", "", "", ""]
    return [party.name, party.address, party.country or "", party.identifier or ""]


def _consignee(block: ConsigneeBlock) -> list[str]:
    # the same four columns as every party; region and postal code have their own columns
    return [block.name or "", block.address or "", block.country, ""]


def _flags_text(line: InvoiceItem, flags: list[PackageFlag]) -> str:
    applying = [f for f in flags if flag_applies(f, line.order_id, line.product_id)]
    return "\n".join(f"{flag.code}: {flag.message}" for flag in applying)


def _row(invoice: CommercialInvoice, order: InvoiceOrder, line: InvoiceItem) -> list[str | int]:
    return [
        invoice.package_number,
        invoice.plan_hash,
        invoice.ruleset_version,
        invoice.invoice_date,
        invoice.currency,
        invoice.destination_country,
        invoice.port_of_entry or "",
        *_party(invoice.exporter),
        *_party(invoice.broker),
        order.order_id,
        order.order_external_id,
        *_consignee(order.consignee),
        order.destination_country,
        order.destination_region or "",
        order.destination_postal_code or "",
        order.entry_type or "",
        line.line_no,
        line.product_id,
        line.sku,
        line.description,
        line.quantity,
        line.unit_value_usd,
        line.line_value_usd,
        line.hs_code or "",
        line.country_of_origin or "",
        *_party(line.manufacturer),
        line.unit_weight_kg or "",
        line.line_weight_kg or "",
        _flags_text(line, invoice.flags),
    ]


def render_invoice_csv(invoice: CommercialInvoice) -> RenderedArtifact:
    """A header row, then one row per invoice line in invoice order."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for order in invoice.orders:
        for line in order.lines:
            writer.writerow(_row(invoice, order, line))
    content = buffer.getvalue().encode("utf-8")
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
