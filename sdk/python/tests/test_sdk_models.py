"""Results read like the public docs (attributes) and like the public quickstart (dicts), at
every level; unknown fields are kept; errors read as the contract's body; the clients' set-up."""

import inspect
from typing import Any

import pytest
from entrygo_client import (
    AsyncEntryGo,
    EntryGo,
    EntryGoError,
    ExportView,
    Model,
    OrderSyncResult,
    Plan,
    WaitTimeout,
    WebhookVerificationError,
)
from entrygo_client.compat import SHPBNDL, AsyncSHPBNDL, SHPBNDLError
from entrygo_client.models import parse, wrap

PLAN: dict[str, Any] = {
    "exportId": "exp_1",
    "batchId": "exp_1",
    "status": "PLANNED",
    "readinessState": "REVIEW_REQUIRED",
    "planHash": "sha256:" + "a" * 64,
    "decisions": [{"orderId": "ord_1", "decision": "INCLUDED", "reasonCodes": ["CPSC_TOY"]}],
    "validationMessages": [
        {"code": "CPSC_TOY", "severity": "WARNING", "ruleId": "r1", "message": "toy", "new": 1}
    ],
    "missing_data": [],
    "strategyHint": {"code": "T86", "entryTypeHints": {"ord_1": "11"}},
    "totals": {"orders": 1, "valueUsd": 40.5},
    "serverAddedLater": {"nested": [{"deep": "yes"}]},
}


def test_results_read_as_attributes_and_as_dicts_at_every_level() -> None:
    plan = parse(Plan, PLAN)
    assert isinstance(plan, Plan)
    assert plan.exportId == plan["exportId"] == "exp_1"
    assert plan.decisions[0].reasonCodes == plan["decisions"][0]["reasonCodes"] == ["CPSC_TOY"]
    assert plan.validationMessages[0].severity == "WARNING"
    assert plan.strategyHint is not None
    assert plan["strategyHint"]["entryTypeHints"]["ord_1"] == "11"
    assert plan.totals is not None
    assert plan.totals["valueUsd"] == 40.5
    assert "planHash" in plan
    assert "nothing" not in plan
    assert plan.get("nothing", 5) == 5
    assert plan.get("planHash") == PLAN["planHash"]
    with pytest.raises(KeyError):
        plan["nothing"]


def test_unknown_fields_are_kept_and_read_both_ways() -> None:
    plan = parse(Plan, PLAN)
    extra: Any = plan.serverAddedLater  # type: ignore[attr-defined]
    assert extra.nested[0].deep == plan["serverAddedLater"]["nested"][0]["deep"] == "yes"
    assert plan.validationMessages[0]["new"] == 1
    assert "serverAddedLater" in plan
    assert plan.to_dict() == {k: PLAN[k] for k in plan}
    assert set(plan.keys()) == set(PLAN)  # what the server sent, nothing invented


def test_a_body_that_does_not_fit_its_model_is_still_read() -> None:
    odd = parse(ExportView, {"exportId": "exp_1", "events": "not a list"})
    assert odd["exportId"] == "exp_1"
    assert odd["events"] == "not a list"
    orders = parse(OrderSyncResult, {"data": [{"id": "ord_1", "items": [{"quantity": 2}]}]})
    assert orders["data"][0]["id"] == "ord_1"
    assert orders.data[0].items[0].quantity == 2  # a field named like a dict method is a field
    generic = wrap({"keys": "k", "a": [{"b": {"c": 1}}]})
    assert isinstance(generic, Model)
    assert generic["keys"] == "k"
    assert generic.a[0].b.c == 1


def test_errors_read_as_the_contracts_body() -> None:
    err = EntryGoError(
        "Request validation failed.",
        status=400,
        error_code="VALIDATION_ERROR",
        field="orderIds",
        details={"issues": []},
        request_id="req-1",
    )
    assert str(err) == (
        "HTTP 400 VALIDATION_ERROR: Request validation failed. (field: orderIds) [request req-1]"
    )
    assert "VALIDATION_ERROR" in repr(err)
    assert issubclass(WaitTimeout, EntryGoError)
    assert WaitTimeout("x").error_code == "WAIT_TIMEOUT"
    assert WebhookVerificationError("x").error_code == "INVALID_SIGNATURE"


def test_the_public_sdks_names() -> None:
    assert SHPBNDL is EntryGo
    assert AsyncSHPBNDL is AsyncEntryGo
    assert SHPBNDLError is EntryGoError
    client = SHPBNDL(api_key="eg_x", base_url="http://localhost:3000/api")
    for name in ("plan", "execute", "inspect"):
        assert callable(getattr(client, name))
    for group, names in {
        "orders": ["sync"],
        "products": ["sync"],
        "exports": ["plan", "execute", "get", "inspect", "list", "events", "wait"],
        "customs_packages": ["get"],
        "artifacts": ["content"],
    }.items():
        for name in names:
            assert callable(getattr(getattr(client, group), name))


def test_sync_and_async_surfaces_match() -> None:
    sync, asyn = EntryGo("k"), AsyncEntryGo("k")
    for group in ("", "orders", "products", "exports", "customs_packages", "artifacts"):
        one = getattr(sync, group) if group else sync
        two = getattr(asyn, group) if group else asyn
        names = {n for n in dir(one) if not n.startswith("_") and callable(getattr(one, n))}
        names -= {"close"}
        for name in names:
            assert inspect.signature(getattr(one, name)) == inspect.signature(getattr(two, name)), (
                f"{group}.{name}"
            )
            assert inspect.iscoroutinefunction(getattr(two, name)), f"{group}.{name}"


def test_environment_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENTRYGO_API_KEY", raising=False)
    monkeypatch.delenv("ENTRYGO_BASE_URL", raising=False)
    default = EntryGo()
    assert (default.api_key, default.base_url) == (None, "http://localhost:3000/api")
    monkeypatch.setenv("ENTRYGO_API_KEY", "eg_env")
    monkeypatch.setenv("ENTRYGO_BASE_URL", "http://example.test/api/")
    with EntryGo() as client:
        assert (client.api_key, client.base_url) == ("eg_env", "http://example.test/api")
    assert EntryGo("eg_arg", "http://other.test/api").api_key == "eg_arg"
