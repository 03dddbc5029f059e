"""Denied-party screening (S-015, P-005): every order's consignee and every line's manufacturer
against the restricted-party list the plan was given."""

from domain.planning.findings import PLAN, Finding, Where
from domain.planning.models import OrderSnapshot
from domain.planning.rules.line_data import LineFacts
from domain.rulepack.model import RulePack
from domain.screening.index import ScreeningMatch
from domain.screening.lists import ScreeningList


def screening_unavailable(pack: RulePack, screening: ScreeningList | None) -> list[Finding]:
    """P-005: the pack asks for screening and no list is loaded."""
    if pack.measures.denied_party_screening is None or screening is not None:
        return []
    return [PLAN.fire("P-005", "REVIEW", field="screeningList")]


def screening_findings(
    order: OrderSnapshot,
    lines: list[LineFacts],
    pack: RulePack,
    screening: ScreeningList | None,
    screened: dict[str, list[ScreeningMatch]] | None = None,
) -> list[Finding]:
    """S-015 on the order's consignee and on each line's manufacturer; `screened` keeps the
    matches of the names already screened in the plan (a manufacturer's recur on many lines)."""
    rule = pack.measures.denied_party_screening
    if rule is None or screening is None:
        return []
    parties: list[tuple[Where, str, str, str]] = []
    if order.consignee is not None and order.consignee.name.strip():
        parties.append((Where(order.id), "Consignee", order.consignee.name, "consignee.name"))
    for line in lines:
        maker = line.product.manufacturer
        if maker is not None and maker.name.strip():
            parties.append((line.where, "Manufacturer", maker.name, "manufacturer.name"))
    out = []
    for where, role, name, field in parties:
        matches = screened.get(name) if screened is not None else None
        if matches is None:
            matches = screening.match(name, float(rule.min_score))
            if screened is not None:
                screened[name] = matches
        if not matches:
            continue
        best = matches[0]
        detail = (
            f"{role} {name!r} matches {best.listed_name!r} on {best.source}"
            f" (entry {best.entry_id}, score {best.score:.2f}; list {screening.version})."
        )
        out.append(where.fire("S-015", "EXCLUDE_REVIEW", detail, field=field))
    return out
