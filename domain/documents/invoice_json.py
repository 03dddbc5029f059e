"""`cci_json`: the structured invoice as canonical JSON."""

from domain.documents.formatting import canonical_json
from domain.documents.invoice import CommercialInvoice
from domain.documents.models import RenderedArtifact

ARTIFACT_TYPE = "cci_json"
FILENAME = "commercial_customs_invoice.json"
CONTENT_TYPE = "application/json"


def render_invoice_json(invoice: CommercialInvoice) -> RenderedArtifact:
    """The invoice model as JSON: sorted keys, money as 2-decimal strings."""
    content = canonical_json(invoice.model_dump(mode="json"))
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
