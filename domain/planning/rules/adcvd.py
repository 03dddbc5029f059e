"""AD/CVD orders (E-005): which order, if any, covers a line's HTS code and origin."""

from domain.hs import in_scope
from domain.planning.rules.line_data import LineFacts
from domain.rulepack.model import AdcvdOrder, RulePack


def adcvd_order(line: LineFacts, pack: RulePack) -> AdcvdOrder | None:
    """The first order of the pack's table whose HTS scope and origins cover the line."""
    table = pack.measures.adcvd_orders
    if table is None or line.hts is None or line.origin is None:
        return None
    for order in table.orders:
        if line.origin in order.origins and in_scope(line.hts, order.prefixes):
            return order
    return None
