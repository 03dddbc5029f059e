"""The sandbox broker as an ASGI app, and `python -m sandbox.broker` to run it.

Speaks the broker side of EntryGo's webhook transport (docs/sandbox-broker.md): signed
`POST /submissions`, signed callbacks, and an unauthenticated control API under `/_sandbox`
for tests and demos. Callbacks follow version 1 (`status`) unless a scenario applies: the first
order's `metadata.sandboxScenario`, or the default set with `POST /_sandbox/faults
{"scenario": ...}`; then they follow version 2 (docs/broker-protocol.md, sandbox/scenarios.py).
It is a test double: bind it to loopback only.
"""

import argparse
import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.callbacks import (
    DEFAULT_ATTEMPTS,
    DEFAULT_BACKOFF_S,
    PROCESS_ATTEMPTS,
    CallbackSender,
)
from sandbox.faults import FaultRequestError
from sandbox.scenarios import check_scenario
from sandbox.service import DEFAULT_CALLBACK_DELAY_S, BrokerSandbox
from signing import DEFAULT_TOLERANCE_S, SIGNATURE_HEADER

# Names of environment variables, not secrets.
SECRET_ENV = "SANDBOX_BROKER_SECRET"  # noqa: S105
CALLBACK_SECRET_ENV = "SANDBOX_BROKER_CALLBACK_SECRET"  # noqa: S105


def _broker(request: Request) -> BrokerSandbox:
    broker: BrokerSandbox = request.app.state.broker
    return broker


async def post_submission(request: Request) -> JSONResponse:
    """Receive a customs package submission from EntryGo."""
    traceparent = request.headers.get("traceparent")
    if traceparent:
        _broker(request).traceparents.append(traceparent)
    status, body = await _broker(request).receive(
        await request.body(),
        request.headers.get(SIGNATURE_HEADER),
        request.headers.get("idempotency-key"),
    )
    return JSONResponse(body, status_code=status)


async def get_faults(request: Request) -> JSONResponse:
    """Show the faults currently switched on."""
    return JSONResponse(_broker(request).faults.snapshot())


async def post_faults(request: Request) -> JSONResponse:
    """Switch faults on or off; keys not given keep their value."""
    broker = _broker(request)
    try:
        payload = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "INVALID_REQUEST", "reason": "body is not JSON"}, 400)
    if not isinstance(payload, dict):
        return JSONResponse({"error": "INVALID_REQUEST", "reason": "body must be an object"}, 400)
    try:
        broker.faults.update(payload)
    except FaultRequestError as exc:
        return JSONResponse({"error": "INVALID_REQUEST", "reason": str(exc)}, 400)
    return JSONResponse(broker.faults.snapshot())


async def post_reset(request: Request) -> JSONResponse:
    """Forget every submission, counter and fault."""
    broker = _broker(request)
    broker.reset()
    return JSONResponse(broker.stats())


async def get_stats(request: Request) -> JSONResponse:
    """Counters, faults and every accepted submission with its callbacks."""
    return JSONResponse(_broker(request).stats())


async def get_submission(request: Request) -> JSONResponse:
    """One submission as the stats show it, with its amendments and when each arrived."""
    state = _broker(request).state
    submission_id = request.path_params["submission_id"]
    submission = state.submissions.get(submission_id)
    if submission is None:
        return JSONResponse({"error": "SUBMISSION_NOT_FOUND", "reason": submission_id}, 404)
    return JSONResponse(submission.snapshot(state.deliveries_by_id[submission_id]))


async def get_health(request: Request) -> JSONResponse:
    """Liveness of the sandbox broker."""
    return JSONResponse({"status": "ok"})


def create_broker_app(
    secret: str,
    callback_secret: str | None = None,
    *,
    callback_delay_s: float = DEFAULT_CALLBACK_DELAY_S,
    callback_attempts: int = DEFAULT_ATTEMPTS,
    callback_backoff_s: float = DEFAULT_BACKOFF_S,
    callback_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] = time.time,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    default_scenario: str | None = None,
) -> Starlette:
    """Build a sandbox broker; `app.state.broker` is its `BrokerSandbox`; submissions that name
    no scenario follow `default_scenario` (None: protocol version 1)."""
    sender = CallbackSender(
        callback_secret or secret,
        attempts=callback_attempts,
        backoff_s=callback_backoff_s,
        transport=callback_transport,
        clock=clock,
    )
    if default_scenario is not None:
        check_scenario(default_scenario)
    broker = BrokerSandbox(
        secret,
        sender,
        callback_delay_s=callback_delay_s,
        clock=clock,
        tolerance_s=tolerance_s,
        default_scenario=default_scenario,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await broker.aclose()

    app = Starlette(
        routes=[
            Route("/submissions", post_submission, methods=["POST"]),
            Route("/_sandbox/faults", get_faults, methods=["GET"]),
            Route("/_sandbox/faults", post_faults, methods=["POST"]),
            Route("/_sandbox/reset", post_reset, methods=["POST"]),
            Route("/_sandbox/stats", get_stats, methods=["GET"]),
            Route("/_sandbox/submissions/{submission_id}", get_submission, methods=["GET"]),
            Route("/_sandbox/health", get_health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.broker = broker
    return app


async def run_broker(
    host: str,
    port: int,
    secret: str,
    callback_secret: str | None = None,
    *,
    callback_delay_s: float = DEFAULT_CALLBACK_DELAY_S,
    scenario: str | None = None,
) -> None:
    """Serve a sandbox broker with uvicorn until the process is told to stop."""
    app = create_broker_app(
        secret,
        callback_secret,
        callback_delay_s=callback_delay_s,
        callback_attempts=PROCESS_ATTEMPTS,
        default_scenario=scenario,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()


def main(argv: list[str] | None = None) -> None:
    """`python -m sandbox.broker --port 8787 --secret ...`"""
    parser = argparse.ArgumentParser(prog="python -m sandbox.broker", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--secret", default=os.environ.get(SECRET_ENV))
    parser.add_argument("--callback-secret", default=os.environ.get(CALLBACK_SECRET_ENV))
    parser.add_argument("--callback-delay", type=float, default=DEFAULT_CALLBACK_DELAY_S)
    parser.add_argument(
        "--scenario",
        default=None,
        help="protocol version 2 scenario of submissions that name none (default: version 1)",
    )
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error(f"--secret (or {SECRET_ENV}) is required")
    asyncio.run(
        run_broker(
            args.host,
            args.port,
            args.secret,
            args.callback_secret,
            callback_delay_s=args.callback_delay,
            scenario=args.scenario,
        )
    )


if __name__ == "__main__":
    main()
