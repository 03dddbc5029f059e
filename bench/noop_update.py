"""The plan benchmark's baseline: a workflow whose update answers at once.

Kept apart from `bench.plan` so the workflow sandbox re-imports only `temporalio`.
"""

from temporalio import workflow


@workflow.defn(name="NoopUpdate")
class NoopUpdate:
    """Started by update-with-start like an export; the update returns at once, the run waits."""

    def __init__(self) -> None:
        self._closed = False

    @workflow.run
    async def run(self) -> None:
        """Stay open, as an export waiting for execution does."""
        await workflow.wait_condition(lambda: self._closed)

    @workflow.update
    async def ready(self) -> str:
        """Answer at once: the cost measured is Temporal's and the worker's."""
        return "ok"
