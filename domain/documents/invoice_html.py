"""`cci_human_readable`: the invoice as an HTML page for people (Jinja2, autoescaped)."""

from functools import cache
from importlib.resources import files

from jinja2 import Environment, StrictUndefined, Template

from domain.documents.invoice import CommercialInvoice
from domain.documents.models import RenderedArtifact

ARTIFACT_TYPE = "cci_human_readable"
FILENAME = "commercial_customs_invoice.html"
CONTENT_TYPE = "text/html; charset=utf-8"
TEMPLATE = "invoice.html.j2"


@cache
def _template() -> Template:
    source = files("domain.documents").joinpath("templates", TEMPLATE).read_text("utf-8")
    env = Environment(
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.from_string(source)


def render_invoice_html(invoice: CommercialInvoice, *, draft: bool = False) -> RenderedArtifact:
    """Render the invoice template; every value is HTML-escaped by the template engine. A draft
    (the console's preview of a plan under review) says so in its title, heading and first line;
    otherwise the output is the package's artifact, byte for byte."""
    content = _template().render(invoice=invoice, draft=draft).encode("utf-8")
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
