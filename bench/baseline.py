"""The lifecycle benchmark's baseline: a bare workflow with an export's number of no-op activities.

Kept apart from `bench.lifecycle` so the workflow sandbox re-imports only `temporalio` (a lean
module, as the export workflow's would be without its pydantic models).
"""

from datetime import timedelta

from temporalio import activity, workflow

NOOP_TIMEOUT = timedelta(seconds=30)


@activity.defn(name="bench_noop")
async def noop(step: str) -> str:
    """Does nothing: the cost measured is Temporal's and the worker's."""
    return step


@workflow.defn(name="BareExport")
class BareExport:
    """One local activity (like planning), then `activities` sequential activities."""

    @workflow.run
    async def run(self, activities: int) -> int:
        """Run the no-ops in order; returns how many ran."""
        await workflow.execute_local_activity(noop, "plan", start_to_close_timeout=NOOP_TIMEOUT)
        for n in range(activities):
            await workflow.execute_activity(noop, f"a{n}", start_to_close_timeout=NOOP_TIMEOUT)
        return activities + 1
