"""How the export workflow calls its activities: the named retry policies and timeouts, the
execution steps in order, and the event each broker outcome writes (constants only)."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.activities import ActivityName
    from domain.failures import NON_RETRYABLE

# The ledger must eventually write: a database outage only delays it.
LEDGER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10)
)
# Planning reads the database: a short outage is retried, a long one fails the plan (the API
# answers 503). Backoffs over LOCAL_RETRY_THRESHOLD wait on workflow timers rather than inside
# the worker, so a worker can shut down while planning keeps failing.
PLANNING_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=8,
)
PLANNING_BUDGET = timedelta(minutes=2)
LOCAL_RETRY_THRESHOLD = timedelta(seconds=1)
# Side effects retry with backoff until the export's retry budget (schedule-to-close) is spent;
# a rejected document or a bad address does not get better by retrying.
SIDE_EFFECT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=15),
    non_retryable_error_types=list(NON_RETRYABLE),
)
LEDGER_TIMEOUT = timedelta(seconds=30)
# From this patch on, the transitions no decision waits on are written by a local activity
# (workflows/ledger.py `transition(local=True)`).
LEDGER_LOCAL_PATCH = "ledger-local-transitions"
# From this patch on, the steps that only write our own database (package, artifacts, the
# submission's record) run as local activities in the worker running the workflow task: no
# activity task, no server round trip and no workflow task of their own; the broker loop reads
# the broker's terms with one too (docs/decisions.md).
STEPS_LOCAL_PATCH = "customs-steps-local"
# From this patch on (asked as the workflow starts), an execution request that nothing stands
# between (no review, no close, no plan in flight) writes EXECUTING itself, by a local activity,
# and the steps that write only our database follow in the same workflow task: one transition,
# one activity and one workflow task fewer per export (docs/decisions.md).
EXECUTE_AT_ONCE_PATCH = "execute-at-once"
PLANNING_TIMEOUT = timedelta(seconds=60)
STEP_TIMEOUT = timedelta(seconds=60)
# steps heartbeat every second: a worker that dies mid-step is noticed after this long
STEP_HEARTBEAT_TIMEOUT = timedelta(seconds=5)

# (step, activity), in the order they run; LOCAL_STEPS write nothing outside our database
STEPS: tuple[tuple[str, ActivityName], ...] = (
    ("package", ActivityName.CREATE_CUSTOMS_PACKAGE),
    ("artifacts", ActivityName.GENERATE_ARTIFACTS),
    ("submission", ActivityName.PREPARE_BROKER_SUBMISSION),
    ("send", ActivityName.SEND_BROKER_SUBMISSION),
    ("notify", ActivityName.NOTIFY_WAREHOUSE),
)
LOCAL_STEPS = frozenset({"package", "artifacts", "submission"})
OUTCOME_EVENTS = {
    "ACKNOWLEDGED": "BROKER_ACKNOWLEDGED",
    "ACCEPTED": "BROKER_ACCEPTED",
    "REJECTED": "BROKER_REJECTED",
}

__all__ = [
    "EXECUTE_AT_ONCE_PATCH",
    "LEDGER_LOCAL_PATCH",
    "LEDGER_RETRY",
    "LEDGER_TIMEOUT",
    "LOCAL_RETRY_THRESHOLD",
    "LOCAL_STEPS",
    "OUTCOME_EVENTS",
    "PLANNING_BUDGET",
    "PLANNING_RETRY",
    "PLANNING_TIMEOUT",
    "SIDE_EFFECT_RETRY",
    "STEPS",
    "STEPS_LOCAL_PATCH",
    "STEP_HEARTBEAT_TIMEOUT",
    "STEP_TIMEOUT",
]
