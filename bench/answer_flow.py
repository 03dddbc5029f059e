"""The broker loop's client flow for `make load`: an export whose broker rejects it correctably
(the sandbox's `reject_correctable` scenario), answered through the public API; timed from the
answer's request to the amendment's arrival at the sandbox broker (its own clock, same machine).
"""

import asyncio
import time
from typing import Any

from bench.flow import FAILED, ExportClient

SCENARIO = "reject_correctable"
WAITING = "BROKER_ACTION_REQUIRED"


class AnswerClient(ExportClient):
    """`ExportClient` plus the broker's request: list it, answer it, see the amendment arrive."""

    def __init__(self, *args: Any, broker_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.broker_url = broker_url

    async def answered(self, tag: str, product_id: str) -> float:
        """One export through its correctable rejection; seconds from the answer to the
        amendment's arrival at the broker."""
        export_id = await self.started(tag, product_id, scenario=SCENARIO)
        view = await self.until_status(export_id, {WAITING})
        path = f"/api/exports/{export_id}/broker-requests"
        listed = await self.call("GET /api/exports/{id}/broker-requests", "GET", path)
        request_id = next(r["requestId"] for r in listed["data"] if r["status"] == "OPEN")
        asked = time.time()
        await self.call(
            "POST /api/exports/{id}/broker-requests/{rid}/answer",
            "POST",
            f"{path}/{request_id}/answer",
            {"message": "Corrected as asked.", "idempotencyKey": f"answer-{tag}"},
        )
        arrived = await self.amendment_arrival(view["brokerSubmission"]["id"], 1)
        await self.until_status(export_id, {"COMPLETED"})
        return arrived - asked

    async def until_status(self, export_id: str, wanted: set[str]) -> dict[str, Any]:
        """Poll inspect until the export is in a `wanted` status; failed or stuck is an error."""
        deadline = time.monotonic() + self.give_up_s
        while True:
            view = await self.call("GET /api/exports/{id}", "GET", f"/api/exports/{export_id}")
            if view["status"] in wanted:
                return view
            if view["status"] in FAILED or time.monotonic() > deadline:
                raise self.timings.error(
                    "answer flow", f"{export_id} is {view['status']}, waiting for {wanted}"
                )
            await asyncio.sleep(self.poll_s)

    async def amendment_arrival(self, submission_id: str, number: int) -> float:
        """When amendment `number` of the submission reached the sandbox broker (epoch s)."""
        url = f"{self.broker_url}/_sandbox/submissions/{submission_id}"
        deadline = time.monotonic() + self.give_up_s
        while time.monotonic() < deadline:
            r = await self.http.get(url)
            if r.is_success:
                for amendment in r.json()["amendments"]:
                    if amendment["amendment"] == number:
                        received: float = amendment["receivedAt"]
                        return received
            await asyncio.sleep(self.poll_s / 4)
        raise self.timings.error("answer flow", f"{submission_id}: no amendment {number}")
