"""Render every artifact of a customs package: pure, deterministic, no clock, no IO."""

from domain.documents.invoice import build_invoice
from domain.documents.invoice_csv import render_invoice_csv
from domain.documents.invoice_html import render_invoice_html
from domain.documents.invoice_json import render_invoice_json
from domain.documents.invoice_pdf import render_invoice_pdf
from domain.documents.manifest import render_manifest
from domain.documents.models import CustomsPackageData, RenderedArtifact
from domain.documents.packing_list import render_packing_list

ARTIFACT_TYPES = (
    "cci_human_readable",
    "cci_csv",
    "cci_json",
    "cci_pdf",
    "packing_list",
    "manifest",
)


def render_artifacts(data: CustomsPackageData) -> list[RenderedArtifact]:
    """The six artifacts in `ARTIFACT_TYPES` order; the manifest comes last and lists the rest."""
    invoice = build_invoice(data)
    documents = [
        render_invoice_html(invoice),
        render_invoice_csv(invoice),
        render_invoice_json(invoice),
        render_invoice_pdf(invoice, data.issued_at),
        render_packing_list(data),
    ]
    return [*documents, render_manifest(data, documents)]
