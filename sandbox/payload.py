"""What the sandbox broker reads inside a submission: its invoice, first order and line 1.

The invoice is the `invoice` field of the body, or else the `cci_json` document. Orders are the
invoice's `orders`; a body that carries its own `orders` list is read first, so an order's
`metadata` reaches the broker wherever the submission puts it.
"""

import json
import re
from typing import Any

from sandbox.submissions import INVOICE_ARTIFACT, SubmissionRequest

SCENARIO_KEY = "sandboxScenario"
DEFAULT_ENTRY_TYPE = "11"
_DIGIT = re.compile(r"\d")


def invoice_of(request: SubmissionRequest) -> dict[str, Any] | None:
    """The structured invoice the submission carries, if any."""
    if isinstance(request.invoice, dict):
        return request.invoice
    for document in request.documents:
        if document.artifact_type != INVOICE_ARTIFACT or document.content is None:
            continue
        try:
            parsed = json.loads(document.content)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def first_orders(request: SubmissionRequest) -> list[dict[str, Any]]:
    """The first order of each place that lists orders: the body's, then the invoice's."""
    invoice = invoice_of(request) or {}
    found = []
    for orders in (_objects(request.orders), _objects(invoice.get("orders"))):
        if orders:
            found.append(orders[0])
    return found


def scenario_hint(request: SubmissionRequest) -> str | None:
    """`metadata.sandboxScenario` of the submission's first order, if it names one."""
    for order in first_orders(request):
        metadata = order.get("metadata")
        if isinstance(metadata, dict) and SCENARIO_KEY in metadata:
            value = metadata[SCENARIO_KEY]
            return value if isinstance(value, str) else str(value)
    return None


def entry_type_hint(request: SubmissionRequest) -> str:
    """The first order's entry type hint (`entryType`), else type 11 (informal entry)."""
    for order in first_orders(request):
        value = order.get("entryType")
        if isinstance(value, str) and value:
            return value
    return DEFAULT_ENTRY_TYPE


def first_line(request: SubmissionRequest) -> dict[str, Any] | None:
    """Line 1 of the submission: the first order's first line, or the invoice's first line."""
    invoice = invoice_of(request) or {}
    candidates = [order.get("lines") for order in first_orders(request)]
    candidates.append(invoice.get("lines"))
    for lines in candidates:
        objects = _objects(lines)
        if objects:
            return objects[0]
    return None


def has_street_address(address: Any) -> bool:
    """Whether a manufacturer address names a street: a non-empty text with a house number.

    Invoice manufacturer addresses are `<street>, <city>, <region>` with the street left out
    when the product does not know it, so a city and region alone carry no digit.
    """
    if isinstance(address, dict):
        street = address.get("line1") or address.get("street") or address.get("address")
        return isinstance(street, str) and bool(street.strip())
    return isinstance(address, str) and bool(_DIGIT.search(address))


def first_line_lacks_manufacturer_street(request: SubmissionRequest) -> bool:
    """Whether line 1's manufacturer is missing or has no street address."""
    line = first_line(request)
    manufacturer = line.get("manufacturer") if line else None
    if not isinstance(manufacturer, dict):
        return True
    return not has_street_address(manufacturer.get("address"))
