"""The audit export of review decisions (docs/evidence.md) on the running stack: an approval and
a rejection made through the API are rows with who, when, planHash and rule pack, as JSON pages
and as CSV, filtered by `from` and `to`; reviewers and admins read it, the integration does not,
and an account sees its own decisions only."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests.support.stack import Stack
from tests.support.tenants import World

COMMENT = "checked the HTS code with the broker"
REASON = "=1+1 is not the declared value"
URL = "/api/audit/decisions"


@dataclass
class Decided:
    """An account with one approved and one rejected export."""

    world: World
    approved: dict[str, Any]
    rejected: dict[str, Any]


async def _plan(stack: Stack, world: World, sku: str) -> dict[str, Any]:
    orders = await world.orders(stack.api, sku)
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(orders)
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest_asyncio.fixture(scope="module")
async def decided(stack: Stack, pool: asyncpg.Pool) -> Decided:
    world = await stack.world(pool)
    reviewer = world.tenant.auth("reviewer")
    approved = await _plan(stack, world, "SKU-SCARF-8")
    assert approved["readinessState"] == "REVIEW_REQUIRED"
    r = await stack.api.post(
        f"/api/exports/{approved['exportId']}/approve",
        headers=reviewer,
        json={"planHash": approved["planHash"], "comment": COMMENT},
    )
    assert r.status_code in (200, 202), r.text
    rejected = await _plan(stack, world, "SKU-SCARF")
    r = await stack.api.post(
        f"/api/exports/{rejected['exportId']}/reject", headers=reviewer, json={"reason": REASON}
    )
    assert r.status_code in (200, 202), r.text
    return Decided(world, approved, rejected)


async def _rows(stack: Stack, decided: Decided, role: str = "reviewer", **params: Any) -> Any:
    r = await stack.api.get(URL, headers=decided.world.tenant.auth(role), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["type"]: row for row in rows}


async def test_the_approval_and_the_rejection_are_rows_with_who_when_and_plan(
    stack: Stack, decided: Decided
) -> None:
    page = await _rows(stack, decided)
    rows = _by_type(page["data"])
    assert set(rows) == {"EXPORT_APPROVED", "EXPORT_REJECTED"}
    view = (
        await stack.api.get(
            f"/api/exports/{decided.approved['exportId']}", headers=decided.world.tenant.auth()
        )
    ).json()
    approval = rows["EXPORT_APPROVED"]
    assert approval["exportId"] == decided.approved["exportId"]
    assert approval["keyId"] == view["approval"]["reviewer"]
    assert approval["label"] == "reviewer"
    assert approval["planHash"] == decided.approved["planHash"]
    assert approval["rulesetVersion"] == decided.approved["rulesetVersion"]
    assert approval["comment"] == COMMENT
    assert datetime.fromisoformat(approval["occurredAt"]) <= datetime.fromisoformat(page["to"])
    rejection = rows["EXPORT_REJECTED"]
    assert rejection["exportId"] == decided.rejected["exportId"]
    assert rejection["planHash"] == decided.rejected["planHash"]
    assert rejection["rulesetVersion"] == decided.rejected["rulesetVersion"]
    assert rejection["reason"] == REASON
    assert rejection["keyId"] == approval["keyId"]
    # the default window: the last 30 days
    start, end = datetime.fromisoformat(page["from"]), datetime.fromisoformat(page["to"])
    assert end - start == timedelta(days=30)
    assert page["nextCursor"] is None


async def test_pages_follow_the_cursor_in_time_order(stack: Stack, decided: Decided) -> None:
    seen, cursor = [], None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = await _rows(stack, decided, **params)
        seen += page["data"]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert [row["type"] for row in seen] == ["EXPORT_APPROVED", "EXPORT_REJECTED"]


@pytest.mark.parametrize("how", ["accept", "format"])
async def test_csv_holds_the_same_rows(stack: Stack, decided: Decided, how: str) -> None:
    headers = decided.world.tenant.auth("admin")
    if how == "accept":
        r = await stack.api.get(URL, headers={**headers, "accept": "text/csv"})
    else:
        r = await stack.api.get(URL, headers=headers, params={"format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = _by_type(list(csv.DictReader(io.StringIO(r.text))))
    approval, rejection = rows["EXPORT_APPROVED"], rows["EXPORT_REJECTED"]
    assert approval["planHash"] == decided.approved["planHash"]
    assert approval["rulesetVersion"] == decided.approved["rulesetVersion"]
    assert approval["comment"] == COMMENT
    assert approval["label"] == "reviewer"
    assert approval["occurredAt"].endswith("Z")
    # a cell a spreadsheet would run as a formula starts with an apostrophe
    assert rejection["reason"] == "'" + REASON
    json_rows = _by_type((await _rows(stack, decided))["data"])
    assert approval["eventId"] == json_rows["EXPORT_APPROVED"]["eventId"]


async def test_from_and_to_filter_the_rows(stack: Stack, decided: Decided) -> None:
    rows = _by_type((await _rows(stack, decided))["data"])
    approved_at = datetime.fromisoformat(rows["EXPORT_APPROVED"]["occurredAt"])
    rejected_at = datetime.fromisoformat(rows["EXPORT_REJECTED"]["occurredAt"])
    assert approved_at < rejected_at
    just = {"from": approved_at.isoformat(), "to": rejected_at.isoformat()}
    assert list(_by_type((await _rows(stack, decided, **just))["data"])) == ["EXPORT_APPROVED"]
    after = {"from": rejected_at.isoformat()}
    assert list(_by_type((await _rows(stack, decided, **after))["data"])) == ["EXPORT_REJECTED"]
    before = {"to": approved_at.isoformat()}
    assert (await _rows(stack, decided, **before))["data"] == []
    later = {"from": (rejected_at + timedelta(days=1)).isoformat()}
    assert (await _rows(stack, decided, **later))["data"] == []
    # `from` after `to`: an empty window, not an error
    backwards = {"from": rejected_at.isoformat(), "to": approved_at.isoformat()}
    assert (await _rows(stack, decided, **backwards))["data"] == []
    csv_rows = await stack.api.get(
        URL, headers=decided.world.tenant.auth("reviewer"), params={**just, "format": "csv"}
    )
    assert [r["type"] for r in csv.DictReader(io.StringIO(csv_rows.text))] == ["EXPORT_APPROVED"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-01"}, "from"),
        ({"from": "2026-11-01T00:00:00"}, "from"),
        ({"from": "1764547200"}, "from"),
        ({"to": "2026-13-45T00:00:00Z"}, "to"),
        ({"format": "xml"}, "format"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"limit": 0}, "limit"),
    ],
)
async def test_a_bad_parameter_is_a_validation_error(
    stack: Stack, decided: Decided, params: dict[str, Any], field: str
) -> None:
    r = await stack.api.get(URL, headers=decided.world.tenant.auth("reviewer"), params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert body["field"] == field
    assert body["details"]["issues"][0]["path"] == field


@pytest.mark.parametrize(
    ("role", "status"), [("integration", 403), ("reviewer", 200), ("admin", 200), ("all", 200)]
)
async def test_reviewers_and_admins_read_it(
    stack: Stack, decided: Decided, role: str, status: int
) -> None:
    r = await stack.api.get(URL, headers=decided.world.tenant.auth(role))
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["errorCode"] == "INSUFFICIENT_ROLE"
        assert r.json()["details"]["requiredRole"] == "reviewer"
        assert set(r.json()["details"]["acceptedRoles"]) == {"reviewer", "admin"}


async def test_no_key_is_refused(stack: Stack) -> None:
    r = await stack.api.get(URL)
    assert r.status_code == 401
    assert r.json()["errorCode"] == "INVALID_API_KEY"


async def test_an_account_reads_only_its_own_decisions(
    stack: Stack, decided: Decided, pool: asyncpg.Pool
) -> None:
    other = await stack.world(pool)
    for fmt in ("json", "csv"):
        r = await stack.api.get(URL, headers=other.tenant.auth("admin"), params={"format": fmt})
        assert r.status_code == 200, r.text
        assert decided.approved["exportId"] not in r.text
        assert decided.rejected["exportId"] not in r.text


async def test_claims_and_comments_are_rows_with_their_plan(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    reviewer = world.tenant.auth("reviewer")
    planned = await _plan(stack, world, "SKU-SCARF-8")
    export_id = planned["exportId"]
    r = await stack.api.post(f"/api/exports/{export_id}/claim", headers=reviewer, json={})
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        f"/api/exports/{export_id}/comments", headers=reviewer, json={"text": COMMENT}
    )
    assert r.status_code == 201, r.text
    r = await stack.api.get(URL, headers=reviewer)
    assert r.status_code == 200, r.text
    rows = _by_type(r.json()["data"])
    assert set(rows) == {"REVIEW_CLAIMED", "COMMENT_ADDED"}
    claimed, comment = rows["REVIEW_CLAIMED"], rows["COMMENT_ADDED"]
    assert claimed["assignee"] == claimed["keyId"]
    assert claimed["assigneeLabel"] == "reviewer"
    assert comment["comment"] == COMMENT
    for row in (claimed, comment):
        assert row["exportId"] == export_id
        assert row["planHash"] == planned["planHash"]
        assert row["rulesetVersion"] == planned["rulesetVersion"]
