"""The fuzz stack (API and worker in their own thread) and the summary of what was sent."""

from collections.abc import Iterator
from typing import Any

import pytest

from config.settings import Settings
from tests.support.fuzz_stack import TALLY, ThreadStack


@pytest.fixture(scope="session")
def fuzz_stack(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadStack]:
    """The API on loopback with a real worker and a seeded account."""
    stack = ThreadStack(settings, tmp_path_factory.mktemp("fuzz-mail"))
    stack.start()
    yield stack
    stack.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many cases schemathesis sent, by generation mode, status and operation."""
    if TALLY.total == 0:
        return
    write = terminalreporter.write_line
    terminalreporter.section("schemathesis")
    modes = ", ".join(f"{m} {n}" for m, n in sorted(TALLY.modes.items()))
    write(f"{TALLY.total} cases over {len(TALLY.operations)} operations ({modes})")
    write("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(TALLY.statuses.items())))
    for operation, statuses in sorted(TALLY.operations.items()):
        by_status = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        write(f"  {statuses.total():5d}  {operation}  ({by_status})")
