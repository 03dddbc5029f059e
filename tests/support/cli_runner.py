"""Running the `entrygo` CLI from async tests, and reading its JSON output."""

import asyncio
import json
from typing import Any

from typer.testing import CliRunner, Result

from entrygo.cli import app


async def cli(*args: str) -> Result:
    """Run a command in a worker thread: the CLI runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def output(result: Result) -> Any:
    """The command's JSON output, once it succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
