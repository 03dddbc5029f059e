"""Activities registered on the export task queue, built around the worker's pool and settings."""

from collections.abc import Sequence
from typing import Any

import asyncpg

from activities.ledger import LedgerActivities
from activities.planning import PlanningActivities
from entrygo.settings import Settings


def build_activities(pool: asyncpg.Pool, settings: Settings) -> Sequence[Any]:
    """Every activity callable, bound to its clients."""
    ledger = LedgerActivities(pool)
    planning = PlanningActivities(pool)
    return [ledger.record_transition, planning.plan_export]
