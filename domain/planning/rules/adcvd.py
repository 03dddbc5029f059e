"""AD/CVD orders (E-005): which order, if any, covers a line's HTS code and origin."""

from domain.hs import in_scope
from domain.planning.rules.line_data import LineFacts
from domain.rulepack.measures import AdcvdOrder, AdcvdOrders
from domain.rulepack.model import RulePack


def adcvd_orders(line: LineFacts, pack: RulePack) -> list[AdcvdOrder]:
    """Every order of the pack's table whose HTS scope and origins cover the line (an AD and a
    CVD order on the same goods are two rows)."""
    table = pack.measures.adcvd_orders
    if table is None or line.hts is None or line.origin is None:
        return []
    return list(_covering(table, line.hts, line.origin))


# the rows covering an (HTS code, origin) per table: the entry rules and the strategy ask for
# every line of a plan, and a plan's lines share a few products (a pack's table never changes)
_COVERING: dict[tuple[int, str, str], tuple[AdcvdOrders, tuple[AdcvdOrder, ...]]] = {}
_KEEP = 4096


def _covering(table: AdcvdOrders, hts: str, origin: str) -> tuple[AdcvdOrder, ...]:
    key = (id(table), hts, origin)
    held = _COVERING.get(key)
    if held is not None and held[0] is table:
        return held[1]
    found = tuple(o for o in table.orders if origin in o.origins and in_scope(hts, o.prefixes))
    if len(_COVERING) >= _KEEP:
        _COVERING.clear()
    _COVERING[key] = (table, found)
    return found


def adcvd_order(line: LineFacts, pack: RulePack) -> AdcvdOrder | None:
    """The first order of the pack's table whose HTS scope and origins cover the line."""
    found = adcvd_orders(line, pack)
    return found[0] if found else None


def adcvd_detail(line: LineFacts, orders: list[AdcvdOrder]) -> str:
    """What E-005 says: the goods, origin and HTS code, and every order's case numbers."""
    products = ", ".join(dict.fromkeys(o.product for o in orders))
    cases = ", ".join(dict.fromkeys(case for o in orders for case in o.cases))
    return f"{products}, origin {line.origin}, HTS {line.hts} ({cases})."
