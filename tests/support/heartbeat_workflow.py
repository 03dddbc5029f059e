"""One activity inside `heartbeating`, held open until the test lets it end: for the tests of
when a step heartbeats."""

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from activities.heartbeat import heartbeating


@dataclass
class Held:
    """The activity's block: `entered` once it runs, it ends once `go` is set."""

    every: float
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)

    @activity.defn(name="held_step")
    async def held_step(self) -> None:
        """Heartbeat every `every` seconds until the test says go."""
        async with heartbeating(self.every):
            self.entered.set()
            await self.go.wait()


@workflow.defn
class HeldStepWorkflow:
    """Runs `held_step` once, with a heartbeat timeout as the export's steps have."""

    @workflow.run
    async def run(self) -> None:
        """The one step."""
        await workflow.execute_activity(
            "held_step",
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=timedelta(seconds=30),
        )
