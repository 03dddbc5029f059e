"""The activities of the export task queue, by name: the one table that `@activity.defn` (in
activities/) and the workflow's calls (in workflows/) both use, so a tool can follow each hop.

The values are names on the wire: recorded histories hold them, so they never change.
"""

from enum import StrEnum


class ActivityName(StrEnum):
    """Every activity the export and destination workflows call."""

    PLAN_EXPORT = "plan_export"
    RECORD_TRANSITION = "record_transition"
    CREATE_CUSTOMS_PACKAGE = "create_customs_package"
    GENERATE_ARTIFACTS = "generate_artifacts"
    PREPARE_BROKER_SUBMISSION = "prepare_broker_submission"
    SEND_BROKER_SUBMISSION = "send_broker_submission"
    NOTIFY_WAREHOUSE = "notify_warehouse"
    NOTIFY_REVIEW_OVERDUE = "notify_review_overdue"
    # the account's escalation chain: the leads told by e-mail at each of its deadlines
    NOTIFY_REVIEW_ESCALATION = "notify_review_escalation"
    # the broker loop (docs/broker-protocol.md)
    LOAD_BROKER_TERMS = "load_broker_terms"
    SEND_BROKER_AMENDMENT = "send_broker_amendment"
    RESEND_BROKER_SUBMISSION = "resend_broker_submission"
    # fleet control (docs/fleet-control.md): an export waiting for a destination makes sure the
    # destination's workflow watches it; that workflow takes its turns
    WATCH_DESTINATION = "watch_destination"
    DESTINATION_TURN = "destination_turn"


__all__ = ["ActivityName"]
