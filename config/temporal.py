"""The one place a Temporal client is made: always with the pydantic data converter."""

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from config.settings import Settings


async def connect_temporal(
    settings: Settings,
    *,
    attempts: int = 1,
    delay: float = 0.5,
    runtime: Runtime | None = None,
    interceptors: Sequence[Any] = (),
) -> Client:
    """Connect to Temporal; retry `attempts` times because the SDK never connects lazily. A
    runtime (the worker's, with its metrics exporter) and interceptors (tracing) are optional."""
    if settings.temporal_address is None:
        raise RuntimeError("temporal_address is not set")
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
                runtime=runtime,
                interceptors=list(interceptors),
            )
        except Exception as exc:  # connection refused, DNS, TLS: all mean "not yet"
            last = exc
            if attempt + 1 < attempts:
                await asyncio.sleep(delay)
    assert last is not None
    raise last
