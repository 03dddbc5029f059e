"""The safe agent loop (`run_export`): sync → plan → decide from the policy → execute only when
permitted → wait until the export settles.

The loop is written once, as a generator that yields the calls it wants made (`Step`) and
receives their results; the sync and the async client each drive it. Every idempotency key the
loop sends derives from its inputs, so rerunning it after a crash sends the same keys, the
server replays its stored answers, and the rerun finds the same orders, plan and export.
"""

import hashlib
import json
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from entrygo_client.errors import EntryGoError, WaitTimeout
from entrygo_client.models import ExportOutcome, ExportView, Plan

SETTLED = frozenset(
    {"EXECUTED", "COMPLETED", "ATTENTION_REQUIRED", "BROKER_REJECTED"}
    | {"REJECTED", "CANCELLED", "EXPIRED"}
)
DONE_WELL = frozenset({"EXECUTED", "COMPLETED"})
STEPS = ("products", "orders", "plan", "execute")


@dataclass(frozen=True)
class Policy:
    """What `run_export` may execute without a person.

    - `execute_readiness`: readiness states executed right away (default READY only). BLOCKED is
      never executed, whatever this says.
    - `max_error_messages` / `max_warning_messages`: at most this many ERROR / WARNING validation
      messages in the plan (None: any number).
    - `require_all_orders`: every requested order must be INCLUDED in the plan.
    - `max_value_usd`: at most this total value (`totals.valueUsd`).

    A plan the policy holds back comes back as "awaiting_review" with POLICY_* reasons.
    """

    execute_readiness: frozenset[str] | set[str] = field(
        default_factory=lambda: frozenset({"READY"})
    )
    max_error_messages: int | None = None
    max_warning_messages: int | None = None
    require_all_orders: bool = False
    max_value_usd: float | None = None

    def refusals(self, plan: Plan) -> list[str]:
        """Why the plan may not run without a person (empty: it may). The readiness itself is
        reported as POLICY_READINESS_<state>."""
        found: list[str] = []
        if plan.readinessState not in self.execute_readiness or plan.readinessState == "BLOCKED":
            found.append(f"POLICY_READINESS_{plan.readinessState}")
        severities = [m.severity for m in plan.validationMessages]
        if (
            self.max_error_messages is not None
            and severities.count("ERROR") > self.max_error_messages
        ):
            found.append("POLICY_MAX_ERROR_MESSAGES")
        if (
            self.max_warning_messages is not None
            and severities.count("WARNING") > self.max_warning_messages
        ):
            found.append("POLICY_MAX_WARNING_MESSAGES")
        if self.require_all_orders and (
            plan.excluded_order_ids or any(d.decision == "EXCLUDED" for d in plan.decisions)
        ):
            found.append("POLICY_ORDERS_EXCLUDED")
        if self.max_value_usd is not None:
            value = plan.totals.get("valueUsd") if plan.totals is not None else None
            if value is None or float(value) > self.max_value_usd:
                found.append("POLICY_MAX_VALUE_USD")
        return found


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (the API's own canonical form)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def run_keys(
    accountId: str,
    warehouseId: str,
    brokerId: str,
    orders: list[dict[str, Any]],
    products: list[dict[str, Any]] | None = None,
) -> dict[str, str]:
    """The idempotency key of each step of a run: sha256 of the canonical JSON of the inputs and
    the step's name. The same inputs give the same keys (key order inside dicts does not
    matter); any change gives new ones."""
    inputs = {
        "accountId": accountId,
        "warehouseId": warehouseId,
        "brokerId": brokerId,
        "orders": orders,
        "products": products or None,
    }
    base = canonical(inputs)
    return {
        step: f"run-{step}-" + hashlib.sha256(f"{step}\n{base}".encode()).hexdigest()[:48]
        for step in STEPS
    }


def resolve_products(
    orders: list[dict[str, Any]], product_ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Order lines may name a product of the run's `products` by `productExternalId` instead of
    `productId`; this puts the synced productId in its place."""
    resolved: list[dict[str, Any]] = []
    for order in orders:
        lines = []
        for line in order.get("items") or []:
            if "productId" not in line and "productExternalId" in line:
                external = line["productExternalId"]
                if external not in product_ids:
                    raise EntryGoError(
                        f"order {order.get('externalId')} names product {external!r}, "
                        "which is not among the products of this run",
                        error_code="UNKNOWN_PRODUCT",
                        field="orders.items.productExternalId",
                    )
                rest = {k: v for k, v in line.items() if k != "productExternalId"}
                lines.append({**rest, "productId": product_ids[external]})
            else:
                lines.append(line)
        resolved.append({**order, "items": lines} if "items" in order else dict(order))
    return resolved


def reasons_of(plan: Plan) -> list[str]:
    """Why a plan needs review or is blocked: the decisions' reason codes, then the codes of the
    ERROR and WARNING messages, each once."""
    found: list[str] = []
    for decision in plan.decisions:
        found.extend(c for c in decision.reasonCodes if c not in found)
    for message in plan.validationMessages:
        if message.severity in ("ERROR", "WARNING") and message.code and message.code not in found:
            found.append(message.code)
    return found


def outcome_of(
    kind: str, plan: Plan, view: ExportView | None, extra: Iterable[str] = ()
) -> ExportOutcome:
    """The outcome of a run from its plan and the export's latest inspect view."""
    current = view.plan if view is not None and view.plan is not None else plan
    status = view.status if view is not None else plan.status
    if kind == "settled":
        kind = "executed" if status in DONE_WELL else "failed"
    reasons = reasons_of(current)
    reasons.extend(r for r in extra if r not in reasons)
    return ExportOutcome(
        outcome=kind,
        exportId=plan.exportId,
        status=status,
        planHash=(view.planHash if view is not None else None) or current.planHash,
        readinessState=(view.readinessState if view is not None else None)
        or current.readinessState,
        customs_package_id=view.customs_package_id if view is not None else None,
        artifacts=list(view.artifacts) if view is not None else [],
        events=list(view.events) if view is not None else [],
        reasons=reasons,
        validationMessages=list(current.validationMessages),
        missing_data=list(current.missing_data),
        orderIds=list(plan.included_order_ids) + list(plan.excluded_order_ids),
        export=view,
    )


@dataclass(frozen=True)
class Step:
    """A call the loop wants made: `client.<group>.<method>(*args, **kwargs)`."""

    group: str
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


Loop = Generator[Step, Any, ExportOutcome]


def run_export_loop(
    accountId: str,
    warehouseId: str,
    brokerId: str,
    orders: list[dict[str, Any]],
    products: list[dict[str, Any]] | None,
    policy: Policy | None,
    wait_for_review: bool,
    timeout: float,
) -> Loop:
    """The loop's decisions; see `EntryGo.run_export`."""
    if not orders:
        raise EntryGoError("run_export needs at least one order", error_code="VALIDATION_ERROR")
    policy = policy or Policy()
    keys = run_keys(accountId, warehouseId, brokerId, orders, products)
    account = {"accountId": accountId}

    # 1. sync current demand (products first, so orders can name them)
    if products:
        synced_products = yield Step(
            "products",
            "sync",
            kwargs={**account, "items": products, "idempotencyKey": keys["products"]},
        )
        by_external = {p.externalId: p.id for p in synced_products.data if p.externalId}
        orders = resolve_products(orders, by_external)
    synced = yield Step(
        "orders", "sync", kwargs={**account, "items": orders, "idempotencyKey": keys["orders"]}
    )
    order_ids = [o.id for o in synced.data]

    # 2. plan, and reconcile with where the export stands (a rerun may find it moved on)
    plan: Plan = yield Step(
        "exports",
        "plan",
        kwargs={
            **account,
            "warehouseId": warehouseId,
            "brokerId": brokerId,
            "orderIds": order_ids,
            "idempotencyKey": keys["plan"],
        },
    )
    export_id = plan.exportId
    if export_id is None:  # pragma: no cover  (only a dry run has none)
        raise EntryGoError("the plan has no exportId", error_code="UNEXPECTED_RESPONSE")
    view: ExportView = yield Step("exports", "inspect", (export_id,))
    current = view.plan or plan

    # 3. decide
    if view.status in SETTLED:
        return outcome_of("settled", plan, view)
    if current.readinessState == "BLOCKED" or view.status == "BLOCKED":
        return outcome_of("blocked", plan, view)  # never executed
    if view.status == "PLANNED":
        refusals = policy.refusals(current)
        only_review = refusals == ["POLICY_READINESS_REVIEW_REQUIRED"]
        if refusals and not (wait_for_review and only_review):
            policy_reasons = [r for r in refusals if not r.startswith("POLICY_READINESS_")]
            return outcome_of("awaiting_review", plan, view, policy_reasons)
        # 4. execute: exactly once, whatever happens to this process
        view = yield Step(
            "exports",
            "execute",
            kwargs={**account, "batchId": export_id, "idempotencyKey": keys["execute"]},
        )
    if view.status == "AWAITING_APPROVAL" and not wait_for_review:
        return outcome_of("awaiting_review", plan, view)

    # 5. wait until the state settles (for a person's approval too, when asked to)
    if view.status not in SETTLED:
        try:
            view = yield Step("exports", "wait", (export_id, SETTLED), {"timeout": timeout})
        except WaitTimeout as exc:
            last = exc.last if isinstance(exc.last, ExportView) else None
            if last is not None and last.status == "AWAITING_APPROVAL":
                return outcome_of("awaiting_review", plan, last)
            raise
    return outcome_of("settled", plan, view)
