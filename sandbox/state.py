"""What the sandbox broker has seen and said, and the stats view of it."""

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.submissions import SubmissionRequest


@dataclass
class CallbackRecord:
    """One callback message and how its delivery went; a version 2 one has a `sequence`."""

    status: str
    attempts: int = 0
    delivered: bool = False
    last_error: str | None = None
    sequence: int | None = None

    def snapshot(self) -> dict[str, Any]:
        """The stats view of the callback (`type` and `sequence` for version 2)."""
        head: dict[str, Any] = (
            {"status": self.status}
            if self.sequence is None
            else {"type": self.status, "sequence": self.sequence}
        )
        return {
            **head,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "lastError": self.last_error,
        }


@dataclass
class AmendmentRecord:
    """One delivery number of a submission's lineage (0 is the first send)."""

    amendment: int
    idempotency_key: str
    amends: dict[str, Any] | None
    received_at: float  # the broker's clock (epoch seconds) at the first delivery
    deliveries: int = 1

    def snapshot(self) -> dict[str, Any]:
        """The stats view of the amendment."""
        return {
            "amendment": self.amendment,
            "idempotencyKey": self.idempotency_key,
            "deliveries": self.deliveries,
            "amends": self.amends,
            "receivedAt": self.received_at,
        }


@dataclass
class Submission:
    """A submission the broker accepted for filing (one per submission id)."""

    request: SubmissionRequest
    broker_reference: str
    received_at: float  # the broker's clock (epoch seconds) at the first delivery
    status: str = "RECEIVED"
    entry_number: str | None = None
    reason: str | None = None
    callbacks: list[CallbackRecord] = field(default_factory=list)
    scenario: str | None = None
    amendments: list[AmendmentRecord] = field(default_factory=list)
    amendments_refused: int = 0
    next_sequence: int = 1
    requests: int = 0
    sent_sequences: set[int] = field(default_factory=set)
    flow: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        if not self.amendments:
            first = self.request
            self.amendments.append(
                AmendmentRecord(0, first.idempotency_key, first.amends, self.received_at)
            )

    @property
    def last_amendment(self) -> int:
        """The newest amendment number received (0 before any amendment)."""
        return self.amendments[-1].amendment

    def amendment(self, number: int) -> AmendmentRecord | None:
        """The record of amendment `number`, if it was received."""
        return next((a for a in self.amendments if a.amendment == number), None)

    def snapshot(self, deliveries: int) -> dict[str, Any]:
        """The stats view of the submission (`deliveries`: raw deliveries of its id)."""
        return {
            "deliveries": deliveries,
            "brokerReference": self.broker_reference,
            "status": self.status,
            "entryNumber": self.entry_number,
            "reason": self.reason,
            "exportId": self.request.export_id,
            "customsPackageId": self.request.customs_package_id,
            "documents": [d.artifact_type for d in self.request.documents],
            "warningCodes": warning_codes(self.request.invoice),
            "callbacks": [record.snapshot() for record in self.callbacks],
            "scenario": self.scenario,
            "protocolVersion": 1 if self.scenario is None else 2,
            "amendments": [a.snapshot() for a in self.amendments],
            "lastAmendment": self.last_amendment,
            "amendmentsRefused": self.amendments_refused,
            "lastSequence": self.next_sequence - 1,
        }


@dataclass
class BrokerState:
    """Counters and submissions; replaced wholesale by `POST /_sandbox/reset`."""

    raw_deliveries: int = 0
    deliveries_by_id: Counter[str] = field(default_factory=Counter)
    unavailable: int = 0
    unauthorized: int = 0
    invalid: int = 0
    refused: int = 0
    accepted: int = 0
    rejected: int = 0
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    callback_attempts: int = 0
    amendments_received: int = 0
    amendments_refused: int = 0
    amendments_unknown: int = 0
    submissions: dict[str, Submission] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        """The `GET /_sandbox/stats` body (without the faults)."""
        return {
            "rawDeliveries": self.raw_deliveries,
            "uniqueSubmissions": len(self.submissions),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unavailable": self.unavailable,
            "unauthorized": self.unauthorized,
            "invalid": self.invalid,
            "refused": self.refused,
            "callbacksSent": self.callbacks_sent,
            "callbacksFailed": self.callbacks_failed,
            "callbackAttempts": self.callback_attempts,
            "amendmentsReceived": self.amendments_received,
            "amendmentsRefused": self.amendments_refused,
            "amendmentsUnknown": self.amendments_unknown,
            "submissions": {
                submission_id: submission.snapshot(self.deliveries_by_id[submission_id])
                for submission_id, submission in self.submissions.items()
            },
        }


def warning_codes(invoice: Any) -> list[str]:
    """The codes of the invoice's warnings for the broker, as the broker read them."""
    warnings = invoice.get("warnings") if isinstance(invoice, dict) else None
    if not isinstance(warnings, list):
        return []
    return [str(w.get("code")) for w in warnings if isinstance(w, dict)]
