"""Fixtures of the SDK's unit tests: loopback servers, and a sleep that records instead of
waiting (so retries run fast and their delays can be asserted)."""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sdk_loopback import Answer, Loopback, Route, Sleeps


@pytest.fixture
def loopback() -> Iterator[Callable[..., Loopback]]:
    made: list[Loopback] = []

    def make(*script: Answer, route: Route | None = None) -> Loopback:
        made.append(Loopback(list(script), route))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()
