"""Results that read like the public docs: attributes (`plan.exportId`,
`result.customs_package_id`) and dict access at every level (`orders["data"][0]["id"]`,
`plan["planHash"]`, `"planHash" in plan`, `plan.get("flags")`).

Every field the server sends is kept, also the ones this version of the SDK does not know
(`extra="allow"`): they read both ways too, and nested objects among them become `Model`s.
Declared fields are lenient (mostly optional), so a server that adds or omits a field never
breaks a client; a body that does not fit its declared model at all is read as a plain `Model`.
"""

from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

M = TypeVar("M", bound="Model")


class Model(BaseModel):
    """A response object: attribute and mapping access, unknown fields kept.

    `keys()`, `in` and `to_dict()` follow what the server sent; `model["field"]` also answers
    None for a declared field the server left out (KeyError only for names neither declared nor
    sent). Fields come before methods: a field named `keys` or `get` is read with `m["keys"]`.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _wrap_extras(cls, data: Any) -> Any:
        """Nested objects among the undeclared fields become Models too."""
        if isinstance(data, dict):
            declared = cls.model_fields
            return {k: (v if k in declared else wrap(v)) for k, v in data.items()}
        return data

    def _sent(self) -> dict[str, Any]:
        present = {
            k: getattr(self, k) for k in type(self).model_fields if k in self.model_fields_set
        }
        return {**present, **(self.__pydantic_extra__ or {})}

    def __getitem__(self, key: str) -> Any:
        extra = self.__pydantic_extra__ or {}
        if key in extra:
            return extra[key]
        if key in type(self).model_fields:
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The field's value, or `default` when the server did not send it (as `dict.get`)."""
        return self._sent().get(key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._sent()

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        """The names of the fields the server sent, as iterating a dict does."""
        return iter(self._sent())

    def keys(self) -> list[str]:
        """The names of the fields the server sent, as a dict's keys."""
        return list(self._sent())

    def to_dict(self) -> dict[str, Any]:
        """The object as plain JSON-like data (the body as the server sent it)."""
        return {k: _plain(v) for k, v in self._sent().items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def wrap(data: Any) -> Any:
    """JSON data as models: every object becomes a Model, lists keep their order."""
    if isinstance(data, Model):
        return data
    if isinstance(data, dict):
        return Model.model_validate(data)
    if isinstance(data, list):
        return [wrap(v) for v in data]
    return data


def parse(model: type[M], data: Any) -> M:
    """`data` as `model`; a body that does not fit the declared fields is kept as a plain Model
    (a field of an unexpected type must not make a successful call fail)."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError:
        fallback: Any = wrap(data)
        return fallback  # type: ignore[no-any-return]


# --- the contract's objects --------------------------------------------------------------------


class ValidationMessage(Model):
    code: str | None = None
    severity: str | None = None  # ERROR | WARNING | INFO
    ruleId: str | None = None
    message: str | None = None
    orderId: str | None = None
    productId: str | None = None
    field: str | None = None


class Decision(Model):
    orderId: str | None = None
    decision: str | None = None  # INCLUDED | EXCLUDED
    reasonCodes: list[str] = []


class MissingData(Model):
    orderId: str | None = None
    productId: str | None = None
    field: str | None = None


class Flag(Model):
    code: str | None = None
    message: str | None = None
    orderIds: list[str] = []
    productIds: list[str] = []


class ExportUnit(Model):
    unitId: str | None = None
    orderIds: list[str] = []
    entryType: str | None = None
    valueUsd: float | None = None
    weightKg: float | None = None


class Plan(Model):
    """The answer of `exports.plan` (also `inspect(...).plan`)."""

    exportId: str | None = None
    batchId: str | None = None
    status: str | None = None
    readinessState: str | None = None  # READY | REVIEW_REQUIRED | BLOCKED
    planHash: str | None = None
    rulesetVersion: str | None = None
    included_order_ids: list[str] = []
    excluded_order_ids: list[str] = []
    decisions: list[Decision] = []
    exportUnits: list[ExportUnit] = []
    validationMessages: list[ValidationMessage] = []
    flags: list[Flag] = []
    missing_data: list[MissingData] = []
    strategyHint: Model | None = None
    next_recommended_action: str | None = None
    totals: Model | None = None
    plannedAt: str | None = None


class Artifact(Model):
    id: str | None = None
    artifact_type: str | None = None
    filename: str | None = None
    contentType: str | None = None
    sizeBytes: int | None = None
    sha256: str | None = None
    generated_at: str | None = None
    downloadUrl: str | None = None


class CustomsPackage(Model):
    id: str | None = None
    exportBatchId: str | None = None
    packageNumber: str | None = None
    state: str | None = None
    planHash: str | None = None
    createdAt: str | None = None
    artifacts: list[Artifact] = []


class Event(Model):
    id: str | None = None
    seq: int | None = None
    type: str | None = None
    occurredAt: str | None = None
    actor: str | None = None
    data: Model | None = None


class EventPage(Model):
    data: list[Event] = []
    nextAfter: int | None = None


class Notification(Model):
    id: str | None = None
    channel: str | None = None
    recipient: str | None = None
    status: str | None = None
    attempts: int | None = None
    lastError: str | None = None
    createdAt: str | None = None
    deliveredAt: str | None = None


class Approval(Model):
    state: str | None = None  # NOT_REQUIRED | PENDING | APPROVED | REJECTED
    reviewer: str | None = None
    comment: str | None = None
    decidedAt: str | None = None
    planHash: str | None = None


class BrokerSubmission(Model):
    id: str | None = None
    submission_type: str | None = None
    status: str | None = None
    recipient_email: str | None = None
    subject: str | None = None
    sent_at: str | None = None
    error_message: str | None = None
    attempts: int | None = None
    brokerReference: str | None = None
    entryNumber: str | None = None
    updatedAt: str | None = None


class WorkflowInfo(Model):
    id: str | None = None
    running: bool | None = None
    pendingActivities: list[Model] = []


class ExportView(Model):
    """The canonical read model (`inspect`, `get`; also the answer of execute and the review
    actions)."""

    exportId: str | None = None
    batchId: str | None = None
    accountId: str | None = None
    warehouseId: str | None = None
    brokerId: str | None = None
    destinationCountry: str | None = None
    status: str | None = None
    readinessState: str | None = None
    planHash: str | None = None
    plan: Plan | None = None
    approval: Approval | None = None
    attention: Model | None = None
    customs_package_id: str | None = None
    customsPackage: CustomsPackage | None = None
    artifacts: list[Artifact] = []
    notifications: list[Notification] = []
    brokerSubmission: BrokerSubmission | None = None
    events: list[Event] = []
    workflow: WorkflowInfo | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class ExportSummary(Model):
    exportId: str | None = None
    batchId: str | None = None
    status: str | None = None
    readinessState: str | None = None
    planHash: str | None = None
    warehouseId: str | None = None
    brokerId: str | None = None
    destinationCountry: str | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class ExportPage(Model):
    data: list[ExportSummary] = []
    nextCursor: str | None = None


class OrderLine(Model):
    productId: str | None = None
    quantity: int | None = None
    unitValueUsd: float | None = None
    lineValueUsd: float | None = None


class Order(Model):
    id: str | None = None
    externalId: str | None = None
    accountId: str | None = None
    destinationCountry: str | None = None
    destinationRegion: str | None = None
    destinationPostalCode: str | None = None
    consignee: Model | None = None
    items: list[OrderLine] = []
    orderValueUsd: float | None = None
    metadata: Model | None = None
    version: int | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class OrderSyncResult(Model):
    data: list[Order] = []


class Product(Model):
    id: str | None = None
    externalId: str | None = None
    description: str | None = None
    hsCode: str | None = None
    countryOfOrigin: str | None = None
    unitValueUsd: float | None = None
    weightKg: float | None = None
    version: int | None = None
    createdAt: str | None = None
    updatedAt: str | None = None


class ProductSyncResult(Model):
    data: list[Product] = []


class Health(Model):
    status: str | None = None
    protocolVersion: str | None = None
    version: str | None = None
    checks: Model | None = None
    account: Model | None = None


class WebhookEvent(Model):
    """An event delivered to a webhook endpoint (`webhooks.verify`)."""

    eventId: str | None = None
    type: str | None = None
    exportId: str | None = None
    seq: int | None = None
    createdAt: str | None = None
    data: Model | None = None


class ExportOutcome(Model):
    """What `run_export` ended with. `outcome` is "executed" (EXECUTED or COMPLETED),
    "awaiting_review" (a person must approve first), "blocked" (fix the data and re-plan; never
    executed) or "failed" (the export settled otherwise: ATTENTION_REQUIRED, BROKER_REJECTED,
    REJECTED, CANCELLED, EXPIRED). `reasons` are the decisions' reason codes and the codes of
    ERROR/WARNING messages (and POLICY_* codes when the policy held a plan back); `export` is the
    last inspect view."""

    outcome: str
    exportId: str | None = None
    status: str | None = None
    planHash: str | None = None
    readinessState: str | None = None
    customs_package_id: str | None = None
    artifacts: list[Artifact] = []
    events: list[Event] = []
    reasons: list[str] = []
    validationMessages: list[ValidationMessage] = []
    missing_data: list[MissingData] = []
    orderIds: list[str] = []
    export: ExportView | None = None
