"""The consignee block every document shows: name and street when given, always the destination."""

from domain.documents.models import PackageOrder
from domain.wire import WireModel

_NOTES = {
    ("name", "address"): "Name and street address were not provided.",
    ("name",): "Name was not provided.",
    ("address",): "Street address was not provided.",
}


class ConsigneeBlock(WireModel):
    """Who receives an order; `notProvided` names what the order lacks, `note` says it in words."""

    name: str | None
    address: str | None
    region: str | None
    postal_code: str | None
    country: str
    not_provided: list[str]
    note: str | None


def _given(value: str | None) -> str | None:
    return value if value and value.strip() else None


def consignee_block(order: PackageOrder) -> ConsigneeBlock:
    """The block for `order`: a blank name or street counts as not provided (RULES O-004)."""
    party = order.consignee
    name = _given(party.name if party else None)
    address = _given(party.address if party else None)
    lacking = tuple(field for field, value in (("name", name), ("address", address)) if not value)
    return ConsigneeBlock(
        name=name,
        address=address,
        region=_given(order.destination_region),
        postal_code=_given(order.destination_postal_code),
        country=order.destination_country,
        not_provided=list(lacking),
        note=_NOTES.get(lacking),
    )
