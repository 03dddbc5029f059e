"""Activities registered on the export task queue, built around the worker's pool and settings."""

from collections.abc import Sequence
from typing import Any

import httpx

from activities import transports
from activities.amendments import AmendmentActivities
from activities.customs import CustomsActivities
from activities.destinations import DestinationActivities
from activities.ledger import LedgerActivities
from activities.planning import PlanningActivities
from activities.review import ReviewActivities
from activities.warehouse import WarehouseActivities
from config.settings import Settings
from store.db import Pool


def build_activities(pool: Pool, settings: Settings) -> Sequence[Any]:
    """Every activity callable, bound to its clients (one HTTP client per worker)."""
    http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    ledger = LedgerActivities(pool)
    planning = PlanningActivities(pool, settings)
    customs = CustomsActivities(pool)
    broker = AmendmentActivities(pool, settings, http)
    warehouse = WarehouseActivities(pool, http, settings)
    mail = (transports.SmtpRelay.from_settings(settings), settings.smtp_from)
    review = ReviewActivities(pool, http, settings.allow_private_urls, mail)
    fleet = DestinationActivities(pool, settings)
    return [
        ledger.record_transition,
        planning.plan_export,
        customs.create_customs_package,
        customs.generate_artifacts,
        broker.prepare_broker_submission,
        broker.send_broker_submission,
        broker.load_broker_terms,
        broker.send_broker_amendment,
        broker.resend_broker_submission,
        warehouse.notify_warehouse,
        review.notify_review_overdue,
        review.notify_review_escalation,
        fleet.watch_destination,
        fleet.destination_turn,
    ]
