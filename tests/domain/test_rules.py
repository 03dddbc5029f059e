"""Plan and order rules (P-*, O-*), readiness aggregation and the next recommended action."""

from datetime import date

import pytest

from domain.planning.findings import PLAN, RULES, Finding, Where
from domain.planning.models import Consignee, PlanningSnapshot
from domain.planning.rules.orders import next_action, readiness
from domain.status import Readiness
from tests.support.planning_builders import (
    broker,
    messages_of,
    order,
    run,
    snapshot,
    with_order,
)

WEBHOOK = {"transportType": "webhook", "recipientEmail": None}
CANADA = snapshot(destinationCountry="CA", orders=[order(destinationCountry="CA")])

FIRES = [
    pytest.param("P-001", CANADA, id="P-001-not-in-pack"),
    pytest.param("P-001", snapshot(broker=broker(supportedDestinations=["CA"])), id="P-001-broker"),
    pytest.param("P-002", snapshot(broker=broker(recipientEmail=None)), id="P-002-no-email"),
    pytest.param("P-002", snapshot(broker=broker(recipientEmail="ops at x")), id="P-002-bad-email"),
    pytest.param("P-002", snapshot(broker=broker(**WEBHOOK, url="ftp://x")), id="P-002-bad-url"),
    pytest.param("P-002", snapshot(broker=broker(**WEBHOOK, url=None)), id="P-002-no-url"),
    pytest.param(
        "P-002", snapshot(broker=broker(**WEBHOOK, url="http://[::1")), id="P-002-unparseable-url"
    ),
    pytest.param("P-003", snapshot(requested=["ord_unknown"]), id="P-003"),
    pytest.param("O-001", snapshot(requested=["ord_1", "ord_unknown"]), id="O-001"),
    pytest.param("O-002", with_order(destinationCountry="CA"), id="O-002"),
    pytest.param("O-003", with_order(destinationRegion=None), id="O-003-region"),
    pytest.param("O-003", with_order(destinationRegion=" "), id="O-003-blank-region"),
    pytest.param("O-003", with_order(destinationPostalCode=None), id="O-003-no-postal"),
    pytest.param("O-003", with_order(destinationPostalCode=" "), id="O-003-postal"),
]
WARNS = [
    pytest.param(with_order(consignee=None), "name, consignee.address.", id="no-consignee"),
    pytest.param(
        with_order(consignee=Consignee(name=" ", address="5 Main St")),
        "consignee.name.",
        id="blank-name",
    ),
    pytest.param(
        with_order(consignee=Consignee(name="J", address=" ")), "consignee.address.", id="no-street"
    ),
]
SILENT = [
    *(pytest.param(r, snapshot(), id=f"{r}-baseline") for r in ("P-001", "P-002", "P-003")),
    *(pytest.param(r, snapshot(), id=f"{r}-baseline") for r in ("O-001", "O-002", "O-003")),
    pytest.param(
        "P-002",
        snapshot(broker=broker(**WEBHOOK, url="https://broker.example/hooks")),
        id="P-002-webhook",
    ),
    # an order for another destination is not checked further
    pytest.param(
        "O-003", with_order(destinationCountry="CA", consignee=None), id="O-003-after-O-002"
    ),
    # name and street only warn (O-004): the order is complete enough for customs without them
    pytest.param("O-003", with_order(consignee=None), id="O-003-no-consignee"),
    pytest.param(
        "O-003", with_order(consignee=Consignee(name=" ", address=" ")), id="O-003-blank-consignee"
    ),
    pytest.param("O-004", snapshot(), id="O-004-baseline"),
    pytest.param(
        "O-004", with_order(destinationCountry="CA", consignee=None), id="O-004-after-O-002"
    ),
    pytest.param("O-004", with_order(destinationRegion=None), id="O-004-region-is-O-003"),
]


@pytest.mark.parametrize(("rule_id", "snap"), FIRES)
def test_rule_fires(rule_id: str, snap: PlanningSnapshot) -> None:
    found = messages_of(run(snap), rule_id)
    assert found
    assert {(m.severity, m.code) for m in found} == {("ERROR", RULES[rule_id][0])}


@pytest.mark.parametrize(("rule_id", "snap"), SILENT)
def test_rule_stays_silent(rule_id: str, snap: PlanningSnapshot) -> None:
    assert messages_of(run(snap), rule_id) == []


def test_p001_p002_block_the_plan() -> None:
    outcome = run(CANADA)
    assert outcome.readiness_state == "BLOCKED"
    assert outcome.included_order_ids == ["ord_1"]  # the order itself is fine; the plan is not
    assert outcome.strategy_hint.code == "NONE"


def test_p004_fires_the_day_after_review_by_and_names_the_measure() -> None:
    review_by = date(2027, 1, 1)  # section232Wood, the earliest reviewBy of the pack
    assert messages_of(run(snapshot(), plan_date=review_by), "P-004") == []
    outcome = run(snapshot(), plan_date=date(2027, 1, 2))
    stale = messages_of(outcome, "P-004")
    assert [(m.severity, m.code) for m in stale] == [("WARNING", "RULE_DATA_STALE")]
    assert "section232Wood" in stale[0].message
    assert outcome.readiness_state == "REVIEW_REQUIRED"


def test_p004_reports_each_stale_measure() -> None:
    outcome = run(snapshot(), plan_date=date(2030, 1, 1))
    assert len(messages_of(outcome, "P-004")) == 14


def test_o002_stops_other_rules_for_that_order() -> None:
    outcome = run(snapshot(orders=[order(destinationCountry="CA")], products=[]))
    assert outcome.decisions[0].reason_codes == ["DESTINATION_MISMATCH"]


def test_o003_lists_the_missing_address_fields() -> None:
    outcome = run(with_order(consignee=None, destinationPostalCode=None))
    assert [m.field for m in outcome.missing_data] == ["consignee", "destinationPostalCode"]
    assert outcome.decisions[0].reason_codes == ["CONSIGNEE_ADDRESS_INCOMPLETE"]


@pytest.mark.parametrize(("snap", "names"), WARNS)
def test_o004_warns_and_keeps_the_order(snap: PlanningSnapshot, names: str) -> None:
    outcome = run(snap)
    found = messages_of(outcome, "O-004")
    assert [(m.severity, m.code, m.field) for m in found] == [
        ("WARNING", "CONSIGNEE_DETAILS_MISSING", "consignee")
    ]
    assert found[0].message.endswith(names)
    assert outcome.readiness_state == "READY"
    assert outcome.next_recommended_action == "EXECUTE"
    assert outcome.included_order_ids == ["ord_1"]
    assert outcome.decisions[0].reason_codes == ["CONSIGNEE_DETAILS_MISSING"]
    assert [(m.order_id, m.field) for m in outcome.missing_data] == [("ord_1", "consignee")]
    assert outcome.flags == run(snapshot()).flags  # a warning is not a flag


def test_o004_does_not_change_the_strategy_or_entry_type() -> None:
    assert run(with_order(consignee=None)).strategy_hint == run(snapshot()).strategy_hint


ORDER_1 = Where("ord_1")
ORDER_2 = Where("ord_2")


@pytest.mark.parametrize(
    ("findings", "included", "expected"),
    [
        pytest.param([], {"ord_1"}, "READY", id="nothing-fired"),
        pytest.param([], set(), "BLOCKED", id="nothing-included"),
        pytest.param([PLAN.fire("P-002", "BLOCK")], {"ord_1"}, "BLOCKED", id="block"),
        pytest.param([ORDER_2.fire("O-001", "EXCLUDE")], {"ord_1"}, "READY", id="exclude"),
        pytest.param(
            [ORDER_2.fire("S-001", "EXCLUDE_REVIEW")], {"ord_1"}, "REVIEW_REQUIRED", id="excl-rev"
        ),
        pytest.param(
            [ORDER_1.fire("D-014", "REVIEW")], {"ord_1"}, "REVIEW_REQUIRED", id="review-included"
        ),
        pytest.param(
            [ORDER_2.fire("D-014", "REVIEW")], {"ord_1"}, "READY", id="review-on-excluded"
        ),
        pytest.param(
            [PLAN.fire("P-004", "REVIEW")], {"ord_1"}, "REVIEW_REQUIRED", id="review-plan"
        ),
        pytest.param([ORDER_1.fire("T-005", "FLAG")], {"ord_1"}, "READY", id="flag"),
        pytest.param(
            [PLAN.fire("P-003", "BLOCK"), ORDER_1.fire("S-001", "EXCLUDE_REVIEW")],
            set(),
            "BLOCKED",
            id="block-wins",
        ),
    ],
)
def test_readiness(findings: list[Finding], included: set[str], expected: str) -> None:
    assert readiness(findings, included) == expected


@pytest.mark.parametrize(
    ("state", "findings", "expected"),
    [
        ("READY", [], "EXECUTE"),
        ("REVIEW_REQUIRED", [ORDER_1.fire("D-014", "REVIEW")], "REQUEST_REVIEW"),
        ("BLOCKED", [ORDER_1.fire("D-007", "EXCLUDE")], "FIX_DATA_AND_REPLAN"),
        ("BLOCKED", [PLAN.fire("P-002", "BLOCK")], "NONE"),
        ("BLOCKED", [ORDER_1.fire("S-001", "EXCLUDE_REVIEW")], "NONE"),
    ],
)
def test_next_action(state: Readiness, findings: list[Finding], expected: str) -> None:
    assert next_action(state, findings) == expected


def test_blocked_by_fixable_data_says_fix_and_replan() -> None:
    outcome = run(with_order(destinationRegion=None))
    assert outcome.readiness_state == "BLOCKED"
    assert outcome.next_recommended_action == "FIX_DATA_AND_REPLAN"
