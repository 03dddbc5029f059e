"""Real loopback servers for the sandbox tests: a callback receiver and the broker itself."""

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.broker import create_broker_app
from tests.support.sandbox_servers import (
    CALLBACK_SECRET,
    SECRET,
    CallbackReceiver,
    sandbox_of,
    serve,
)


@pytest.fixture
async def receiver() -> AsyncIterator[CallbackReceiver]:
    target = CallbackReceiver()
    async with serve(target.app()) as base_url:
        target.url = f"{base_url}/api/brokers/br_1/callbacks"
        yield target


@pytest.fixture
async def broker_app() -> AsyncIterator[Starlette]:
    app = create_broker_app(SECRET, CALLBACK_SECRET, callback_delay_s=0.01, callback_backoff_s=0.01)
    yield app
    await sandbox_of(app).aclose()


@pytest.fixture
async def client(broker_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=broker_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://broker") as http:
        yield http
