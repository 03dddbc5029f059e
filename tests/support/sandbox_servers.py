"""Real loopback servers for the sandbox tests (a callback receiver, uvicorn on a bound port) and
the submissions EntryGo would post to the sandbox broker."""

import asyncio
import base64
import hashlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from sandbox.service import BrokerSandbox
from sandbox.submissions import submission_id_hint
from signing import SIGNATURE_HEADER, sign

SECRET = "broker-inbound-secret"
CALLBACK_SECRET = "broker-callback-secret"
POLL_ITERATIONS = 500
POLL_INTERVAL_S = 0.01


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Poll `check` a bounded number of times (no assertion on elapsed time)."""
    for _ in range(POLL_ITERATIONS):
        if check():
            return
        await asyncio.sleep(POLL_INTERVAL_S)
    raise AssertionError(f"never happened: {what}")


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` with uvicorn on a loopback port bound up front; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started or task.done(), "uvicorn started")
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Callback:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload


@dataclass
class CallbackReceiver:
    """Stands in for EntryGo's callback route; can answer 500 to the next N calls."""

    url: str = ""
    fail_next: int = 0
    fail_always: bool = False
    calls: list[Callback] = field(default_factory=list)
    refused: int = 0

    def app(self) -> Starlette:
        async def receive(request: Request) -> JSONResponse:
            if self.fail_always or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                self.refused += 1
                return JSONResponse({"error": "TRY_AGAIN"}, status_code=500)
            self.calls.append(Callback(dict(request.headers), await request.body()))
            return JSONResponse({"received": True})

        return Starlette(routes=[Route("/api/brokers/br_1/callbacks", receive, methods=["POST"])])

    def for_submission(self, submission_id: str) -> list[Callback]:
        return [call for call in self.calls if call.json["submissionId"] == submission_id]


def sandbox_of(app: Starlette) -> BrokerSandbox:
    broker: BrokerSandbox = app.state.broker
    return broker


def document(artifact_type: str, filename: str, content: bytes) -> dict[str, Any]:
    return {
        "artifact_type": artifact_type,
        "filename": filename,
        "contentType": "application/json",
        "sha256": hashlib.sha256(content).hexdigest(),
        "contentBase64": base64.b64encode(content).decode(),
    }


def submission_body(
    submission_id: str,
    callback_url: str,
    *,
    invoice: Any = None,
    documents: list[dict[str, Any]] | None = None,
) -> bytes:
    invoice = invoice if invoice is not None else {"lines": [{"description": "Wool scarf"}]}
    if documents is None:
        invoice_json = json.dumps(invoice).encode()
        documents = [document("cci_json", "commercial_customs_invoice.json", invoice_json)]
    payload = {
        "submissionId": submission_id,
        "exportId": "exp_1",
        "customsPackageId": "cp_1",
        "packageNumber": "PKG-0001",
        "accountId": "acc_1",
        "brokerId": "br_1",
        "callbackUrl": callback_url,
        "invoice": invoice,
        "documents": documents,
    }
    return json.dumps(payload).encode()


async def post_signed(
    http: httpx.AsyncClient,
    body: bytes,
    *,
    secret: str = SECRET,
    idempotency_key: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    """Post a submission the way EntryGo does: signed, with the submission id as key."""
    when = timestamp if timestamp is not None else int(time.time())
    headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(secret, body, when)}
    key = idempotency_key or submission_id_hint(body)
    if key:
        headers["idempotency-key"] = key
    return await http.post("/submissions", content=body, headers=headers)
