"""`cci_pdf`: the printable invoice (fpdf2, core font Helvetica, US Letter landscape).

Deterministic: the creation date is the plan's `issuedAt`, producer and creator are fixed, the
file id is fpdf2's hash of the content, and all text is folded to Latin-1 by `pdf_text`.
"""

from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align

from domain.documents.consignee import ConsigneeBlock
from domain.documents.invoice import CommercialInvoice, InvoiceOrder, InvoiceTotals
from domain.documents.models import Party, RenderedArtifact
from domain.documents.pdf_table import BODY_SIZE, FONT, LINE_HEIGHT, Column, draw_table
from domain.documents.pdf_text import is_lossless, to_latin1

ARTIFACT_TYPE = "cci_pdf"
FILENAME = "commercial_customs_invoice.pdf"
CONTENT_TYPE = "application/pdf"

PRODUCER = "EntryGo"
MISSING = "not provided"
MISSING_SHORT = "missing"
# A page-count placeholder no folded text can contain (control characters become spaces).
_PAGE_COUNT_ALIAS = "\x01nb\x01"

_KEY_VALUE = (Column("", 40, bold=True), Column("", 140))
_TOTALS = (Column("", 40, bold=True), Column("", 80))
_PARTIES = (Column("Exporter (seller / shipper)", 129.5), Column("Customs broker", 129.5))
_FLAGS = (
    Column("Code", 50),
    Column("Message", 129),
    Column("Orders", 40),
    Column("Products", 40),
)
_WARNINGS = (
    Column("Code", 50),
    Column("Message", 129),
    Column("Order", 40),
    Column("Product / field", 40),
)
_LINES = (
    Column("Line", 8, "R"),
    Column("SKU / product", 24),
    Column("Description", 48),
    Column("HTS number", 19),
    Column("Origin", 13),
    Column("Manufacturer", 38),
    Column("Qty", 10, "R"),
    Column("Unit USD", 16, "R"),
    Column("Line USD", 17, "R"),
    Column("Unit kg", 14, "R"),
    Column("Line kg", 14, "R"),
    Column("Flags", 38),
)


class _InvoicePdf(FPDF):
    """FPDF with the invoice's running header, numbered footer and Latin-1 folding."""

    def __init__(self, invoice: CommercialInvoice) -> None:
        super().__init__(orientation="L", unit="mm", format="Letter")
        self.invoice = invoice
        self.folded_lossy = False
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=14)
        self.alias_nb_pages(_PAGE_COUNT_ALIAS)

    def txt(self, value: str | int | None, missing: str = "") -> str:
        """Folded text for drawing; remembers whether anything could not be shown."""
        text = missing if value is None or value == "" else str(value)
        if not is_lossless(text):
            self.folded_lossy = True
        return to_latin1(text)

    def header(self) -> None:
        self.set_font(FONT, "B", 12)
        self.cell(0, 6, "COMMERCIAL INVOICE", new_x="LMARGIN", new_y="TOP")
        self.set_font(FONT, "", 9)
        package = self.txt(self.invoice.package_number)
        self.cell(0, 6, f"Package {package}", align=Align.R, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font(FONT, "", BODY_SIZE)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7)
        invoice = self.invoice
        left = f"Package {self.txt(invoice.package_number)} - plan {self.txt(invoice.plan_hash)}"
        self.cell(0, 4, left, new_x="LMARGIN", new_y="TOP")
        self.cell(0, 4, f"Page {self.page_no()} of {_PAGE_COUNT_ALIAS}", align=Align.R)

    def heading(self, text: str) -> None:
        # Keep a heading with at least a few lines of what follows it.
        if self.get_y() + 6 + 4 * LINE_HEIGHT > self.page_break_trigger:
            self.add_page()
        self.ln(2)
        self.set_font(FONT, "B", 10)
        self.multi_cell(0, 5, self.txt(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", BODY_SIZE)

    def note(self, text: str) -> None:
        self.set_font(FONT, "", BODY_SIZE)
        self.multi_cell(0, LINE_HEIGHT, text, new_x="LMARGIN", new_y="NEXT")


def _party(
    pdf: _InvoicePdf, party: Party | None, missing: str = MISSING, label: str = "Identifier"
) -> str:
    if party is None:
        return missing
    lines = [pdf.txt(party.name), pdf.txt(party.address)]
    if party.country:
        lines.append(f"Country: {pdf.txt(party.country)}")
    if party.identifier:
        lines.append(f"{label}: {pdf.txt(party.identifier)}")
    return "\n".join(lines)


def _consignee(pdf: _InvoicePdf, block: ConsigneeBlock) -> str:
    lines = [pdf.txt(value) for value in (block.name, block.address) if value]
    place = " ".join(value for value in (block.region, block.postal_code) if value)
    if place:
        lines.append(pdf.txt(place))
    lines.append(f"Country: {pdf.txt(block.country)}")
    if block.note:
        lines.append(block.note)
    return "\n".join(lines)


def _weight(totals: InvoiceTotals) -> str:
    if not totals.lines_without_weight:
        return totals.weight_kg
    return f"{totals.weight_kg} (excludes {totals.lines_without_weight} line(s) without weight)"


def _summary(pdf: _InvoicePdf) -> None:
    invoice = pdf.invoice
    rows = [
        ("Package number", pdf.txt(invoice.package_number)),
        ("Customs package id", pdf.txt(invoice.customs_package_id)),
        ("Export id", pdf.txt(invoice.export_id)),
        ("Invoice date", invoice.invoice_date),
        ("Currency", invoice.currency),
        ("Destination country", pdf.txt(invoice.destination_country)),
        ("US port of entry", pdf.txt(invoice.port_of_entry, "to be determined by the broker")),
        ("Strategy", pdf.txt(invoice.strategy_code)),
        ("Plan hash", pdf.txt(invoice.plan_hash)),
        ("Ruleset version", pdf.txt(invoice.ruleset_version)),
    ]
    draw_table(pdf, _KEY_VALUE, rows, headings=False)
    pdf.heading("Parties")
    draw_table(pdf, _PARTIES, [(_party(pdf, invoice.exporter), _party(pdf, invoice.broker))])


def _listing(
    pdf: _InvoicePdf, title: str, empty: str, columns: tuple[Column, ...], rows: list[Any]
) -> None:
    pdf.heading(title)
    if rows:
        draw_table(pdf, columns, rows)
    else:
        pdf.note(empty)


def _flags(pdf: _InvoicePdf) -> None:
    rows = [
        (
            pdf.txt(flag.code),
            pdf.txt(flag.message),
            pdf.txt(", ".join(flag.order_ids), "all"),
            pdf.txt(", ".join(flag.product_ids), "all"),
        )
        for flag in pdf.invoice.flags
    ]
    _listing(pdf, "Flags for the broker", "No flags.", _FLAGS, rows)


def _warnings(pdf: _InvoicePdf) -> None:
    rows = [
        (
            pdf.txt(warning.code),
            pdf.txt(warning.message),
            pdf.txt(warning.order_id, "all"),
            pdf.txt(" / ".join(part for part in (warning.product_id, warning.field) if part)),
        )
        for warning in pdf.invoice.warnings
    ]
    _listing(pdf, "Warnings for the broker", "No warnings.", _WARNINGS, rows)


def _order(pdf: _InvoicePdf, order: InvoiceOrder) -> None:
    pdf.heading(f"Order {order.order_external_id} ({order.order_id})")
    parts = (order.destination_country, order.destination_region, order.destination_postal_code)
    totals = order.totals
    order_rows = [
        ("Consignee", _consignee(pdf, order.consignee)),
        ("Destination", pdf.txt(", ".join(part for part in parts if part))),
        ("Entry type", pdf.txt(order.entry_type, MISSING)),
        ("Order totals", f"USD {totals.value_usd}, {totals.quantity} units, {_weight(totals)} kg"),
    ]
    draw_table(pdf, _KEY_VALUE, order_rows, headings=False)
    pdf.ln(1.5)
    rows = [
        (
            str(line.line_no),
            f"{pdf.txt(line.sku)}\n{pdf.txt(line.product_id)}",
            pdf.txt(line.description),
            pdf.txt(line.hs_code, MISSING_SHORT),
            pdf.txt(line.country_of_origin, MISSING_SHORT),
            _party(pdf, line.manufacturer, MISSING_SHORT, "MID"),
            str(line.quantity),
            line.unit_value_usd,
            line.line_value_usd,
            pdf.txt(line.unit_weight_kg, "-"),
            pdf.txt(line.line_weight_kg, "-"),
            pdf.txt("\n".join(line.flag_codes)),
        )
        for line in order.lines
    ]
    draw_table(pdf, _LINES, rows)


def _package_totals(pdf: _InvoicePdf) -> None:
    invoice = pdf.invoice
    totals = invoice.totals
    pdf.heading("Package totals")
    rows = [
        ("Orders", str(totals.orders)),
        ("Lines", str(totals.lines)),
        ("Total quantity (units)", str(totals.quantity)),
        ("Total value (USD)", totals.value_usd),
        ("Total weight (kg)", _weight(totals)),
    ]
    draw_table(pdf, _TOTALS, rows, headings=False)
    pdf.ln(2)
    note = f"All values in {invoice.currency}. Generated from plan {pdf.txt(invoice.plan_hash)}."
    if pdf.folded_lossy:
        note += (
            " Some characters cannot be shown in this PDF's font and appear transliterated or"
            " as '?'; commercial_customs_invoice.html and .json carry the exact text."
        )
    pdf.note(note)


def render_invoice_pdf(invoice: CommercialInvoice, issued_at: datetime) -> RenderedArtifact:
    """Draw the invoice; the same invoice and `issued_at` give the same bytes."""
    pdf = _InvoicePdf(invoice)
    pdf.set_creation_date(issued_at)
    pdf.set_producer(PRODUCER)
    pdf.set_creator(PRODUCER)
    pdf.set_title(f"Commercial Invoice {invoice.package_number}")
    pdf.add_page()
    _summary(pdf)
    _flags(pdf)
    _warnings(pdf)
    for order in invoice.orders:
        _order(pdf, order)
    _package_totals(pdf)
    content = bytes(pdf.output())
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
