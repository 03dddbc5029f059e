"""`exports.broker_requests`: the broker's requests of an export and the answers to them
(docs/broker-protocol.md), sync and async with the same surface."""

from collections.abc import Iterable

from entrygo_client import _calls
from entrygo_client._calls import Document
from entrygo_client._sends import AsyncSends, SyncSends
from entrygo_client.broker_models import BrokerAnswer, BrokerRequestList


class BrokerRequests:
    def __init__(self, client: SyncSends) -> None:
        self._c = client

    def list(self, export_id: str) -> BrokerRequestList:
        """The broker's requests of the export with their answers
        (`GET /exports/{id}/broker-requests`)."""
        return self._c._send(_calls.broker_requests(export_id), BrokerRequestList)

    def answer(
        self,
        export_id: str,
        request_id: str,
        *,
        message: str,
        documents: Iterable[Document] | None = None,
        idempotencyKey: str | None = None,
    ) -> BrokerAnswer:
        """Answer an open request (`POST /exports/{id}/broker-requests/{requestId}/answer`;
        correct the data through sync first). `documents` are (filename, contentType, bytes):
        application/pdf, image/png or image/jpeg. The export is re-planned: `outcome`
        "awaiting_review" means the new plan waits for a reviewer and nothing went to the
        broker. 409 INVALID_EXPORT_STATE when the request is not open."""
        call = _calls.answer_broker_request(export_id, request_id, message, documents)
        return self._c._send(call, BrokerAnswer, idempotencyKey)


class AsyncBrokerRequests:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client

    async def list(self, export_id: str) -> BrokerRequestList:
        """The broker's requests of the export with their answers
        (`GET /exports/{id}/broker-requests`)."""
        return await self._c._send(_calls.broker_requests(export_id), BrokerRequestList)

    async def answer(
        self,
        export_id: str,
        request_id: str,
        *,
        message: str,
        documents: Iterable[Document] | None = None,
        idempotencyKey: str | None = None,
    ) -> BrokerAnswer:
        """Answer an open request (see `BrokerRequests.answer`)."""
        call = _calls.answer_broker_request(export_id, request_id, message, documents)
        return await self._c._send(call, BrokerAnswer, idempotencyKey)
