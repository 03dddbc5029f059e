"""DestinationWorkflow: one per destination that exports wait for (docs/fleet-control.md).

It runs while exports wait for an open or paused destination, and only then. Each turn is one
activity (`destination_turn`) that reads the breaker and decides: when the destination is closed
again, the next few waiting exports (at most `release_per_second`) are signalled to send, one
batch a second; when it is open and its backoff is over, one waiting export is chosen to probe
it; otherwise the workflow sleeps until the next probe is due or it is poked (a resume, a new
waiting export). With no export waiting any more it ends; a new waiting export starts it again.
Released exports are signalled in the order they began to wait (a cursor), so a thousand
waiting exports cost a thousand signals at the release rate, no more.
"""

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow

from workflows.policies import LEDGER_RETRY, LEDGER_TIMEOUT

with workflow.unsafe.imports_passed_through():
    from domain.activities import ActivityName
    from domain.destinations import DestinationState
    from workflows.destination_messages import (
        POKE_SIGNAL,
        READY_SIGNAL,
        DestinationInput,
        Turn,
        TurnInput,
    )

TURNS_PER_RUN = 500  # then continue as new, so the history stays small


@workflow.defn
class DestinationWorkflow:
    """The breaker of one destination, taking its turns until nothing waits for it."""

    @workflow.init
    def __init__(self, inp: DestinationInput) -> None:
        self.poked = False

    @workflow.run
    async def run(self, inp: DestinationInput) -> str:
        cursor = (inp.cursor_since, inp.cursor_export)
        for _ in range(TURNS_PER_RUN):
            self.poked = False
            began = workflow.now()
            turn: Turn = await workflow.execute_activity(
                ActivityName.DESTINATION_TURN,
                TurnInput(
                    destination=inp.destination, cursor_since=cursor[0], cursor_export=cursor[1]
                ),
                result_type=Turn,
                start_to_close_timeout=LEDGER_TIMEOUT,
                retry_policy=LEDGER_RETRY,
            )
            cursor = (turn.cursor_since, turn.cursor_export)
            await asyncio.gather(*(self._ready(w, inp.destination) for w in turn.signal))
            if turn.done and not self.poked:
                return str(turn.state)
            # the turn's wait counts from its start, so a release keeps its rate per second
            wait = turn.wait_seconds - (workflow.now() - began).total_seconds()
            if turn.state == DestinationState.CLOSED and turn.signal:
                if wait > 0:
                    await workflow.sleep(wait)  # releasing: a poke does not hurry the rate
            elif wait > 0:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.poked, timeout=timedelta(seconds=wait)
                    )
        return workflow.continue_as_new(
            DestinationInput(
                destination=inp.destination, cursor_since=cursor[0], cursor_export=cursor[1]
            )
        )

    @staticmethod
    async def _ready(workflow_id: str, destination: str) -> None:
        """Signal one waiting export; one that closed meanwhile waits no more."""
        handle = workflow.get_external_workflow_handle(workflow_id)
        try:
            await handle.signal(READY_SIGNAL, destination)
        except Exception:
            workflow.logger.info("export %s took no signal", workflow_id)

    @workflow.signal(name=POKE_SIGNAL)
    def poke(self) -> None:
        """Something changed (a resume, a new waiting export): take a turn now."""
        self.poked = True
