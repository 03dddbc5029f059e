"""Builders for the rule pack us-2027.01 tests: the pack, a plan day, a one-entry screening
list, and plans of one product under them."""

from datetime import date
from typing import Any

from domain.planning.models import Manufacturer, PlanningSnapshot, PlanOutcome
from domain.planning.planner import plan
from domain.rulepack.model import RulePack, load_rule_pack
from domain.screening.csl import CslEntry
from domain.screening.lists import ScreeningList
from tests.support.planning_builders import messages_of, product, snapshot

PACK_27 = load_rule_pack("us-2027.01")
PACK_12 = load_rule_pack("us-2026.12")
DAY = date(2026, 12, 8)
MAKER = Manufacturer(name="Fabrica Exemplo Lda", address="Rua 1", city="Porto", country="PT")
# an SDN entry as the Consolidated Screening List publishes it (https://www.trade.gov/consolidated-screening-list)
SDN_ENTRY = CslEntry(
    entry_id="36201",
    source="Specially Designated Nationals (SDN) - Treasury Department",
    name="Rosoboronexport",
    alt_names=("Rosoboron Export",),
    entity_type="Entity",
    programs=("UKRAINE-EO13662",),
    countries=("RU",),
)
SCREENING = ScreeningList.of(date(2026, 12, 1), (SDN_ENTRY,))


def run27(
    snap: PlanningSnapshot,
    day: date = DAY,
    pack: RulePack = PACK_27,
    screening: ScreeningList | None = SCREENING,
) -> PlanOutcome:
    """Plan under us-2027.01, screened against SCREENING unless told otherwise."""
    if screening is not None:
        snap = snap.model_copy(update={"screening_list_version": screening.version})
    return plan(snap, pack, day, screening)


def goods(
    hs_code: str, origin: str = "PT", description: str = "", **changes: Any
) -> PlanningSnapshot:
    """The baseline order of one product with this HTS code, origin and description; `mode`
    among `changes` sets the warehouse's shipment mode."""
    mode = changes.pop("mode", "PARCEL_DTC")
    fields: dict[str, Any] = {"hsCode": hs_code, "countryOfOrigin": origin, "manufacturer": MAKER}
    if description:
        fields["description"] = description
    fields.update(changes)
    return snapshot(products=[product(**fields)], mode=mode)


def fired(outcome: PlanOutcome, rule_id: str) -> list[tuple[str, str]]:
    """(code, severity) of every message the rule produced."""
    return [(m.code, m.severity) for m in messages_of(outcome, rule_id)]
