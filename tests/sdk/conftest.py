"""The SDK's integration tests run against the whole stack of tests/e2e (its `stack` fixture,
re-exported here so pytest sees it under tests/sdk/ too)."""

from tests.e2e.conftest import stack  # noqa: F401
