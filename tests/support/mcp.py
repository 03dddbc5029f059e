"""`entrygo mcp` as an agent's client runs it, for the tests that drive it over stdio."""

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.support.paths import ROOT
from tests.support.stack import Stack


@asynccontextmanager
async def mcp_session(stack: Stack, key: str) -> AsyncIterator[ClientSession]:
    """`entrygo mcp` as an agent's client starts it: a subprocess speaking stdio, configured only
    by ENTRYGO_BASE_URL and ENTRYGO_API_KEY (no database or Temporal settings)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ENTRYGO_", "DATABASE_URL", "TEMPORAL_"))
    }
    env.update(
        ENTRYGO_BASE_URL=f"{stack.api.base_url}/api", ENTRYGO_API_KEY=key, PYTHONPATH=str(ROOT)
    )
    params = StdioServerParameters(command=sys.executable, args=["-m", "entrygo", "mcp"], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def body(result: Any) -> dict[str, Any]:
    """A tool result's structured content."""
    assert result.structured_content is not None
    return dict(result.structured_content)
