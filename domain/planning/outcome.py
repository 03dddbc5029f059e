"""Findings → the plan's lists (messages, decisions, flags, missing data), in a stable order."""

from collections.abc import Collection

from domain.planning.findings import EXCLUDING, SEVERITY, Finding
from domain.planning.models import Decision, DecisionLine, Flag, MissingData, ValidationMessage

_RULE_GROUPS = "PODSGTE"  # the order of RULES.md §2
_SEVERITY_RANK = {"ERROR": 0, "WARNING": 1, "INFO": 2}


class Ordering:
    """Sorts findings: plan level first, then requested-order order, severity, rule, product."""

    def __init__(self, order_ids: list[str]) -> None:
        self._rank = {order_id: i for i, order_id in enumerate(order_ids)}

    def rank(self, order_id: str | None) -> int:
        """Position of the order among the requested ids; plan level comes first."""
        return -1 if order_id is None else self._rank.get(order_id, len(self._rank))

    def sort(self, findings: list[Finding]) -> list[Finding]:
        """Findings in message order (independent of the order they were produced in)."""
        return sorted(
            findings,
            key=lambda f: (
                self.rank(f.order_id),
                _SEVERITY_RANK[SEVERITY[f.effect]],
                _RULE_GROUPS.find(f.rule_id[0]),
                f.rule_id,
                f.product_id or "",
                f.field or "",
                f.message,
            ),
        )


def validation_messages(ordered: list[Finding]) -> list[ValidationMessage]:
    """One message per distinct finding (a product on two lines reports once)."""
    # told apart by the message's fields before one is built: a model per finding costs more
    distinct = dict.fromkeys(
        (f.code, SEVERITY[f.effect], f.rule_id, f.message, f.order_id, f.product_id, f.field)
        for f in ordered
    )
    return [
        ValidationMessage(
            code=code,
            severity=severity,
            rule_id=rule_id,
            message=message,
            order_id=order_id,
            product_id=product_id,
            field=field,
        )
        for code, severity, rule_id, message, order_id, product_id, field in distinct
    ]


def decisions(
    order_ids: list[str],
    ordered: list[Finding],
    excluded: Collection[str],
    lines: dict[str, list[DecisionLine]] | None = None,
) -> list[Decision]:
    """Every requested id once: excluded orders give the excluding codes, included ones the rest."""
    codes: dict[str, dict[str, None]] = {order_id: {} for order_id in order_ids}
    for f in ordered:
        if f.order_id not in codes:
            continue
        if (f.effect in EXCLUDING) == (f.order_id in excluded):
            codes[f.order_id][f.code] = None
    return [
        Decision(
            order_id=order_id,
            decision="EXCLUDED" if order_id in excluded else "INCLUDED",
            reason_codes=list(codes[order_id]),
            # an order not evaluated (not synced, another destination) has no lines to show
            lines=(lines or {}).get(order_id) or None,
        )
        for order_id in order_ids
    ]


def flags(ordered: list[Finding], included: list[str]) -> list[Flag]:
    """One entry per FLAG code over the included orders; plan-wide flags name them all."""
    grouped: dict[str, tuple[str, dict[str, None], set[str]]] = {}
    rank = {order_id: i for i, order_id in enumerate(included)}
    for f in ordered:
        if f.effect != "FLAG" or (f.order_id is not None and f.order_id not in rank):
            continue
        _, order_ids, product_ids = grouped.setdefault(f.code, (f.title, {}, set()))
        order_ids.update(dict.fromkeys([f.order_id] if f.order_id else included))
        if f.product_id:
            product_ids.add(f.product_id)
    return [
        Flag(
            code=code,
            message=title,
            order_ids=sorted(order_ids, key=rank.__getitem__),
            product_ids=sorted(product_ids),
        )
        for code, (title, order_ids, product_ids) in grouped.items()
    ]


def missing_data(ordered: list[Finding], ordering: Ordering) -> list[MissingData]:
    """Every missing field once, by order, product and field."""
    found = {
        (f.order_id, f.product_id, f.field)
        for f in ordered
        if f.missing and f.order_id is not None and f.field is not None
    }
    rows = sorted(found, key=lambda r: (ordering.rank(r[0]), r[1] or "", r[2]))
    return [MissingData(order_id=o, product_id=p, field=fd) for o, p, fd in rows]
