"""Entry types per order, the strategy hint (RULES.md §3) and the export units."""

from decimal import Decimal

from domain.money import round_kg, round_usd
from domain.planning.findings import Finding
from domain.planning.models import (
    EntryType,
    ExportUnit,
    StrategyCode,
    StrategyHint,
)
from domain.planning.rules.adcvd import adcvd_order
from domain.planning.rules.orders import OrderEvaluation, recipient_key
from domain.reference import ShipmentMode
from domain.rulepack.model import RulePack
from domain.status import Readiness

FORMAL_ENTRY_TYPES: frozenset[EntryType] = frozenset({"01", "03"})
POSTAL_ENTRY_TYPE: EntryType = "13"
_UNIT_ORDER: tuple[EntryType, ...] = ("11", "13", "01", "03")


def _usd(value: Decimal) -> str:
    return f"{round_usd(value):,} USD"


def entry_types(
    evaluations: list[OrderEvaluation], mode: ShipmentMode, pack: RulePack
) -> dict[str, EntryType]:
    """The entry type each order takes (or would take, if excluded) under the shipment mode."""
    limit = pack.measures.informal_entry.limit_usd
    batch = sum((e.value for e in evaluations if not e.excluded), Decimal(0))
    adcvd = _adcvd_entry_type(pack)
    under_order = {e.order_id for e in evaluations if any(adcvd_order(x, pack) for x in e.lines)}
    # AD/CVD goods go on a formal entry of their own type at any value (E-005)
    batch_adcvd = any(e.order_id in under_order for e in evaluations if not e.excluded)
    types: dict[str, EntryType] = {}
    for e in evaluations:
        if mode == "BULK_TO_US_WAREHOUSE":
            # one consignee (the US warehouse) for the whole batch: B decides, or AD/CVD goods
            types[e.order_id] = adcvd if batch_adcvd else "01" if batch > limit else "11"
        elif e.order_id in under_order:
            types[e.order_id] = adcvd
        elif e.value > limit:
            types[e.order_id] = "01"
        else:
            types[e.order_id] = POSTAL_ENTRY_TYPE if mode == "POSTAL" else "11"
    return types


def _adcvd_entry_type(pack: RulePack) -> EntryType:
    table = pack.measures.adcvd_orders
    return table.entry_type if table is not None else "01"


def strategy_hint(
    state: Readiness,
    evaluations: list[OrderEvaluation],
    types: dict[str, EntryType],
    findings: list[Finding],
    pack: RulePack,
    mode: ShipmentMode,
) -> StrategyHint:
    """Pick the strategy over the included orders, after the rules."""
    included = [e for e in evaluations if not e.excluded]
    if state == Readiness.BLOCKED or not included:
        return StrategyHint(code="NONE", reason="The plan is blocked.", entry_type_hints={})
    hints = {e.order_id: types[e.order_id] for e in included}
    code, reason = _by_mode(included, hints, pack, mode)
    unresolved = _unresolved(state, included, findings, pack)
    if unresolved:
        reason = f"{unresolved} Tentatively {code}: {reason}"
        return StrategyHint(code="BROKER_DETERMINES", reason=reason, entry_type_hints=hints)
    de_minimis = pack.measures.de_minimis
    if de_minimis.enabled and _within_de_minimis(included, de_minimis.threshold_usd, mode):
        # type 86 is retired and not an entry type of the contract: hint informal
        reason = f"Every consignee-day is at most {_usd(de_minimis.threshold_usd)}."
        informal: dict[str, EntryType] = dict.fromkeys(hints, "11")
        return StrategyHint(code="SECTION_321_DE_MINIMIS", reason=reason, entry_type_hints=informal)
    return StrategyHint(code=code, reason=reason, entry_type_hints=hints)


def _by_mode(
    included: list[OrderEvaluation],
    hints: dict[str, EntryType],
    pack: RulePack,
    mode: ShipmentMode,
) -> tuple[StrategyCode, str]:
    limit = _usd(pack.measures.informal_entry.limit_usd)
    if mode == "BULK_TO_US_WAREHOUSE":
        batch = _usd(sum((e.value for e in included), Decimal(0)))
        if "03" in hints.values():
            reason = (
                f"Bulk to a US warehouse worth {batch} with AD/CVD goods: one formal entry (03)."
            )
            return "CONSOLIDATED_FORMAL_ENTRY", reason
        if any(t in FORMAL_ENTRY_TYPES for t in hints.values()):
            reason = f"Bulk to a US warehouse worth {batch}, over {limit}: one formal entry (01)."
            return "CONSOLIDATED_FORMAL_ENTRY", reason
        reason = f"Bulk to a US warehouse worth {batch}, at most {limit}: one informal entry (11)."
        return "CONSOLIDATED_INFORMAL_ENTRY", reason
    formal = sum(1 for t in hints.values() if t in FORMAL_ENTRY_TYPES)
    if formal == 0 and mode == "POSTAL":
        return "POSTAL_INFORMAL_ENTRY", f"Postal, every order at most {limit}: entry type 13."
    if formal == 0:
        return "PER_ORDER_INFORMAL_ENTRY", f"Every order at most {limit}: one entry 11 per order."
    adcvd = sum(1 for t in hints.values() if t == "03")
    if adcvd:
        # AD/CVD goods take a formal entry whatever their value (E-005)
        if formal == len(hints):
            reason = (
                f"Every order needs a formal entry: {adcvd} under AD/CVD (03), over {limit} (01)."
            )
            return "PER_ORDER_FORMAL_ENTRY", reason
        reason = f"{formal} of {len(hints)} orders need a formal entry (AD/CVD 03 or over {limit})."
        return "MIXED_SPLIT", reason
    if formal == len(hints):
        return "PER_ORDER_FORMAL_ENTRY", f"Every order over {limit}: one entry 01 per order."
    reason = f"{formal} of {len(hints)} orders over {limit} take entry 01, the others informal."
    return "MIXED_SPLIT", reason


def _unresolved(
    state: Readiness, included: list[OrderEvaluation], findings: list[Finding], pack: RulePack
) -> str | None:
    """Why the broker has to choose the entry type, if it has to."""
    ids = {e.order_id for e in included}
    if state == Readiness.REVIEW_REQUIRED and any(
        f.rule_id == "E-003" and f.order_id in ids for f in findings
    ):
        return "A line over the informal Chapter 99 cap carries a 232/301 measure (E-003)."
    lines = [line for e in included for line in e.lines]
    full = pack.hts.full_length
    incomplete = sum(1 for line in lines if line.hts is None or len(line.hts) < full)
    share = pack.thresholds.max_incomplete_hts_share
    if lines and incomplete > share * len(lines):
        return (
            f"{incomplete} of {len(lines)} lines lack a {full}-digit HTS code (over {share:.0%})."
        )
    return None


def _within_de_minimis(included: list[OrderEvaluation], threshold: Decimal, mode: str) -> bool:
    # all orders of one plan leave on one day, so a consignee-day is a consignee in this plan
    totals: dict[str, Decimal] = {}
    for e in included:
        if mode == "BULK_TO_US_WAREHOUSE":
            key = "warehouse"  # the US warehouse is the one consignee of a bulk batch
        else:
            key = (recipient_key(e.order) if e.order else None) or e.order_id
        totals[key] = totals.get(key, Decimal(0)) + e.value
    return all(total <= threshold for total in totals.values())


def export_units(included: list[OrderEvaluation], hints: dict[str, EntryType]) -> list[ExportUnit]:
    """Group the included orders by entry type (one unit when the strategy consolidates)."""
    units: list[ExportUnit] = []
    for entry_type in _UNIT_ORDER:
        members = [e for e in included if hints.get(e.order_id) == entry_type]
        if members:
            units.append(
                ExportUnit(
                    unit_id=f"unit-{len(units) + 1}",
                    order_ids=[e.order_id for e in members],
                    entry_type=entry_type,
                    value_usd=round_usd(sum((e.value for e in members), Decimal(0))),
                    weight_kg=round_kg(sum((e.weight for e in members), Decimal(0))),
                )
            )
    return units
