"""The manufacturer of a line: whether it is known (D-016) and its MID (D-019)."""

from functools import lru_cache

from domain.mid import MidUnbuildable, manufacturer_id
from domain.planning.findings import Finding, Where
from domain.planning.models import ProductSnapshot
from domain.rulepack.model import RulePack


def has_manufacturer(product: ProductSnapshot) -> bool:
    """True when the manufacturer is known by name and address (what the MID is built from)."""
    maker = product.manufacturer
    return maker is not None and bool(maker.name.strip()) and bool(maker.address.strip())


@lru_cache(maxsize=1024)
def _mid(
    name: str, address: str, city: str, country: str, region: str | None
) -> str | MidUnbuildable:
    """The MID or why there is none (a plan asks for each product's several times, on every line
    of it and for its hash: worked out once per manufacturer)."""
    try:
        return manufacturer_id(name, address, city, country, region)
    except MidUnbuildable as problem:
        return problem


def line_manufacturer_id(product: ProductSnapshot) -> str | None:
    """The MID of the product's manufacturer, or None when its data cannot produce one."""
    maker = product.manufacturer
    if maker is None or not has_manufacturer(product):
        return None
    mid = _mid(maker.name, maker.address, maker.city, maker.country, maker.region)
    return None if isinstance(mid, MidUnbuildable) else mid


def manufacturer_id_findings(
    where: Where, product: ProductSnapshot, pack: RulePack
) -> list[Finding]:
    """D-019 under a pack that asks for the MID: a known manufacturer whose data cannot produce
    one (an unknown manufacturer is D-016's)."""
    maker = product.manufacturer
    if pack.measures.manufacturer_id is None or maker is None or not has_manufacturer(product):
        return []
    mid = _mid(maker.name, maker.address, maker.city, maker.country, maker.region)
    if isinstance(mid, MidUnbuildable):
        return [where.fire("D-019", "REVIEW", f"{mid}.", field="manufacturer")]
    return []
