"""The API's Temporal client, connected lazily: the API starts (and says 503) without it."""

import asyncio

from temporalio.client import Client

from api.errors import service_unavailable
from config.settings import Settings
from config.temporal import connect_temporal


class TemporalGate:
    """Holds one client per process; connects on first use, bounded by a timeout."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connected client, or 503 SERVICE_UNAVAILABLE."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    async with asyncio.timeout(self.settings.temporal_call_timeout_seconds):
                        self._client = await connect_temporal(self.settings)
                except Exception as exc:
                    raise service_unavailable("workflow engine") from exc
        return self._client

    async def client_or_none(self, limit_s: float = 1.0) -> Client | None:
        """The client if it can be had quickly, else None (for reads that can do without)."""
        try:
            async with asyncio.timeout(limit_s):
                return await self.client()
        except Exception:
            return None

    async def healthy(self, limit_s: float = 2.0) -> bool:
        """True when the server answers its health check."""
        try:
            client = await self.client()
            async with asyncio.timeout(limit_s):
                return bool(await client.service_client.check_health())
        except Exception:
            return False
