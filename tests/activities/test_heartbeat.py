"""A step heartbeats only once it has run for a while: a short step costs the Temporal server no
heartbeat call, a long one is still seen alive."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.heartbeat_workflow import Held, HeldStepWorkflow

Handle = WorkflowHandle[HeldStepWorkflow, None]


@asynccontextmanager
async def inside(env: WorkflowEnvironment, held: Held) -> AsyncIterator[Handle]:
    """The workflow whose step is inside its block until the `with` ends."""
    queue = f"heartbeat-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client, task_queue=queue, workflows=[HeldStepWorkflow], activities=[held.held_step]
    ):
        handle = await env.client.start_workflow(
            HeldStepWorkflow.run, id=f"held-{uuid.uuid4().hex}", task_queue=queue
        )
        await held.entered.wait()
        yield handle
        held.go.set()
        await handle.result()


async def recorded(handle: Handle) -> bool:
    """Whether the server holds a heartbeat of the running step."""
    [pending] = (await handle.describe()).raw_description.pending_activities
    return pending.HasField("last_heartbeat_time")


async def test_a_step_sends_no_heartbeat_before_its_first_interval(
    temporal_env: WorkflowEnvironment,
) -> None:
    # asked ten times over half a second: a heartbeat sent at the start would be recorded by then
    async with inside(temporal_env, Held(every=3600.0)) as handle:
        seen = []
        for _ in range(10):
            seen.append(await recorded(handle))
            await asyncio.sleep(0.05)
        assert seen == [False] * 10


async def test_a_long_step_heartbeats(temporal_env: WorkflowEnvironment) -> None:
    async with inside(temporal_env, Held(every=0.05)) as handle:
        for _ in range(200):
            if await recorded(handle):
                break
            await asyncio.sleep(0.05)
        assert await recorded(handle)
