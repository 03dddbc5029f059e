"""What a resource group needs of its client: sending a call with safe retries."""

from typing import Protocol, TypeVar

from entrygo_client._http import Call
from entrygo_client.models import Model

M = TypeVar("M", bound=Model)


class SyncSends(Protocol):
    def _send(self, call: Call, model: type[M], key: str | None = None) -> M: ...

    def _send_raw(self, call: Call) -> bytes: ...


class AsyncSends(Protocol):
    async def _send(self, call: Call, model: type[M], key: str | None = None) -> M: ...

    async def _send_raw(self, call: Call) -> bytes: ...
