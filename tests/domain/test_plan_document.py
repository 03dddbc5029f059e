"""The plan document: the JSON written to the store is pinned to the byte, and reads back as the
same value."""

import hashlib
import json
from datetime import date

from domain.planning.document import PlanDocument, plan_document
from domain.planning.models import PlanningSnapshot
from domain.status import ExportStatus, Readiness
from tests.support.golden_plan import GOLDEN_HASH, GOLDEN_SNAPSHOT
from tests.support.planning_builders import run

# SHA-256 of the golden plan's JSON as sent to the store (compact, in field order): a change
# of a wire name, of the key order or of how None and money are written changes it
GOLDEN_DOCUMENT_SHA256 = "272ae8cef7abd192905102691913953fe1b5a77ee121498505925549513d3fdb"


def golden_document() -> PlanDocument:
    outcome = run(PlanningSnapshot.model_validate(GOLDEN_SNAPSHOT), plan_date=date(2026, 11, 26))
    return plan_document("exp_1", ExportStatus.PLANNED, outcome, "2026-11-26T00:00:00Z")


def written_bytes(document: PlanDocument) -> bytes:
    # what store.pool's codec sends for the jsonb column
    return json.dumps(document.model_dump(mode="json"), separators=(",", ":")).encode()


def test_the_written_json_is_pinned() -> None:
    document = golden_document()
    assert document.plan_hash == GOLDEN_HASH
    assert hashlib.sha256(written_bytes(document)).hexdigest() == GOLDEN_DOCUMENT_SHA256


def test_the_export_comes_first_and_the_planning_time_last() -> None:
    keys = list(golden_document().model_dump(mode="json"))
    assert keys[:5] == ["exportId", "batchId", "status", "readinessState", "planHash"]
    assert keys[-1] == "plannedAt"
    # the contract's snake_case exceptions keep their names
    assert {"included_order_ids", "excluded_order_ids", "missing_data"} <= set(keys)
    assert "next_recommended_action" in keys


def test_the_stored_json_reads_back_as_the_same_document() -> None:
    document = golden_document()
    again = PlanDocument.model_validate(json.loads(written_bytes(document)))
    assert again == document
    assert written_bytes(again) == written_bytes(document)
    assert again.readiness_state is Readiness.REVIEW_REQUIRED


def test_a_dry_run_has_no_export_and_no_status() -> None:
    document = golden_document()
    dry = plan_document(None, None, document, document.planned_at)
    head = dry.model_dump(mode="json")
    assert (head["exportId"], head["batchId"], head["status"]) == (None, None, None)
