"""The SDK's integration tests run against the whole stack (tests/support/stack.py), started
once per session as tests/e2e does."""

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from config.settings import Settings
from tests.support.stack import Stack, running_stack


@pytest_asyncio.fixture(scope="session")
async def stack(settings: Settings, tmp_path_factory: Any) -> AsyncIterator[Stack]:
    """Start the stack once per session; the worker runs in its own process."""
    async with running_stack(settings, tmp_path_factory.mktemp("stack")) as started:
        yield started
