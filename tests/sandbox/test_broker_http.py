"""The sandbox broker served for real: uvicorn on loopback, and `python -m sandbox.broker`."""

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx

from sandbox.broker import create_broker_app
from tests.support.sandbox_servers import (
    SECRET,
    CallbackReceiver,
    eventually,
    free_port,
    post_signed,
    sandbox_of,
    serve,
    submission_body,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def test_concurrent_duplicates_over_http_make_one_submission(
    receiver: CallbackReceiver,
) -> None:
    app = create_broker_app(SECRET, callback_delay_s=0.01)
    async with (
        serve(app) as base_url,
        httpx.AsyncClient(base_url=base_url, trust_env=False) as http,
    ):
        # A slow broker makes the three deliveries overlap inside the handler.
        await http.post("/_sandbox/faults", json={"delaySeconds": 0.05})
        body = submission_body("bsub_race", receiver.url)
        answers = await asyncio.gather(*(post_signed(http, body) for _ in range(3)))
        assert sorted(answer.status_code for answer in answers) == [200, 200, 202]
        assert len({answer.json()["brokerReference"] for answer in answers}) == 1
        await eventually(lambda: sandbox_of(app).pending_callbacks == 0, "callbacks finished")
        counts = (await http.get("/_sandbox/stats")).json()
    assert counts["rawDeliveries"] == 3
    assert counts["uniqueSubmissions"] == 1
    assert counts["callbacksSent"] == 2
    assert [call.json["status"] for call in receiver.calls] == ["ACKNOWLEDGED", "ACCEPTED"]
    # Callbacks without a separate callback secret are signed with the broker secret.
    assert receiver.calls[0].headers["entrygo-signature"].startswith("t=")


async def test_module_entry_point_serves_the_broker(receiver: CallbackReceiver) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.broker",
        "--port",
        str(port),
        "--secret",
        SECRET,
        cwd=PROJECT_ROOT,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            healthy = False
            for _ in range(300):
                try:
                    healthy = (await http.get("/_sandbox/health")).status_code == 200
                except httpx.TransportError:
                    await asyncio.sleep(0.02)
                if healthy:
                    break
            assert healthy, "sandbox broker process never answered"
            response = await post_signed(http, submission_body("bsub_cli", receiver.url))
            assert response.status_code == 202
            await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    finally:
        process.terminate()
        await process.wait()


def test_module_entry_point_requires_a_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.broker", "--port", "0"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert "--secret" in result.stderr
