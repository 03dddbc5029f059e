"""`exports.broker_requests` against a real HTTP server on loopback: the list, an answer with its
documents base64-encoded and digested, the idempotency key, and a request that is not open."""

import base64
import hashlib
from typing import Any

import pytest
from entrygo_client import (
    AsyncEntryGo,
    BrokerAnswer,
    BrokerRequest,
    BrokerRequestList,
    EntryGo,
    EntryGoError,
)
from sdk_loopback import Sleeps, error

PDF = b"%PDF-1.4\n% a letter from the manufacturer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
REQUESTS: dict[str, Any] = {
    "exportId": "exp_1",
    "data": [
        {
            "requestId": "req-1",
            "kind": "INFO",
            "status": "ANSWERED",
            "fields": [{"path": "lines[0].manufacturer.address", "reason": "no street number"}],
            "documents": [{"type": "manufacturer_letter", "reason": "confirm the maker"}],
            "message": "Which street?",
            "receivedAt": "2026-12-07T03:00:00Z",
            "dueBy": "2026-12-08T03:00:00Z",
            "answer": {
                "message": "Street added.",
                "documents": [hashlib.sha256(PDF).hexdigest()],
                "answeredAt": "2026-12-07T03:10:00Z",
                "actor": "integration",
            },
        },
        {
            "requestId": "rejection-4",
            "kind": "REJECTION",
            "status": "OPEN",
            "fields": [{"path": "lines[0].hsCode", "reason": "not a valid code"}],
            "documents": [],
            "message": "HS code rejected",
            "receivedAt": "2026-12-07T03:20:00Z",
            "dueBy": None,
            "answer": None,
        },
    ],
}


def answered(outcome: str, **extra: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {
        "exportId": "exp_1",
        "requestId": "req-2",
        "outcome": outcome,
        "planHash": "sha256:" + "b" * 64,
        "amendment": None,
        "status": "AWAITING_APPROVAL",
        "documents": [],
        **extra,
    }
    return 200, body, {}


def client(url: str, sleeps: Sleeps) -> EntryGo:
    return EntryGo("eg_test_key", url, max_retries=3, sleep=sleeps)


def test_list_reads_the_requests_and_their_answers(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback((200, REQUESTS, {}))
    with client(server.url, sleeps) as c:
        listed = c.exports.broker_requests.list("exp 1/x")
    assert isinstance(listed, BrokerRequestList)
    assert listed.exportId == "exp_1"
    first, second = listed.data
    assert isinstance(first, BrokerRequest)
    assert (first.requestId, first.kind, first.status) == ("req-1", "INFO", "ANSWERED")
    assert first.fields[0].path == first["fields"][0]["path"] == "lines[0].manufacturer.address"
    assert first.documents[0].type == "manufacturer_letter"
    assert first.answer is not None
    assert first.answer.documents == [hashlib.sha256(PDF).hexdigest()]
    assert first.answer.answeredAt == "2026-12-07T03:10:00Z"
    assert (second.kind, second.status, second.answer, second.dueBy) == (
        "REJECTION",
        "OPEN",
        None,
        None,
    )
    assert listed.to_dict() == REQUESTS
    (seen,) = server.seen
    assert (seen["method"], seen["path"]) == ("GET", "/api/exports/exp%201%2Fx/broker-requests")
    assert seen["key"] is None  # a read carries no idempotency key
    assert seen["auth"] == "Bearer eg_test_key"


def test_answer_sends_the_documents_base64_encoded_with_their_digest(
    loopback: Any, sleeps: Sleeps
) -> None:
    stored = [
        {"filename": "letter.pdf", "contentType": "application/pdf", "size": len(PDF)},
        {"filename": "label.png", "contentType": "image/png", "size": len(PNG)},
    ]
    server = loopback(answered("amendment_sent", amendment=2, status="SUBMITTED", documents=stored))
    documents = [("letter.pdf", "application/pdf", PDF), ("label.png", "image/png", PNG)]
    with client(server.url, sleeps) as c:
        result = c.exports.broker_requests.answer(
            "exp_1",
            "req-2",
            message="Street number added.",
            documents=documents,
            idempotencyKey="answer-req-2",
        )
    assert isinstance(result, BrokerAnswer)
    assert (result.outcome, result.amendment, result.status) == ("amendment_sent", 2, "SUBMITTED")
    assert [d.filename for d in result.documents] == ["letter.pdf", "label.png"]
    assert result.documents[0].size == len(PDF)
    (seen,) = server.seen
    assert (seen["method"], seen["path"]) == (
        "POST",
        "/api/exports/exp_1/broker-requests/req-2/answer",
    )
    assert seen["key"] == "answer-req-2"  # the caller's key travels in the header
    body = seen["body"]
    assert body["message"] == "Street number added."
    assert set(body) == {"message", "documents"}
    for sent, (filename, content_type, content) in zip(body["documents"], documents, strict=True):
        assert sent == {
            "filename": filename,
            "contentType": content_type,
            "contentBase64": sent["contentBase64"],
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        assert base64.b64decode(sent["contentBase64"], validate=True) == content


def test_an_answer_without_documents_sends_none_and_a_generated_key(
    loopback: Any, sleeps: Sleeps
) -> None:
    server = loopback(answered("awaiting_review"), answered("awaiting_review"))
    with client(server.url, sleeps) as c:
        first = c.exports.broker_requests.answer("exp_1", "req-2", message="See the new plan.")
        c.exports.broker_requests.answer("exp_1", "req-2", message="See the new plan.")
    assert first.outcome == first["outcome"] == "awaiting_review"
    assert first.amendment is None
    assert first.planHash == "sha256:" + "b" * 64
    assert server.seen[0]["body"] == {"message": "See the new plan."}
    keys = server.keys
    assert all(k is not None and k.startswith("sdk-") for k in keys)
    assert keys[0] != keys[1]  # each call its own generated key


def test_a_request_that_is_not_open_is_a_409_and_is_not_repeated(
    loopback: Any, sleeps: Sleeps
) -> None:
    details = {"requestId": "req-1", "status": "ANSWERED"}
    server = loopback(error(409, "INVALID_EXPORT_STATE", details=details), answered("in_progress"))
    with client(server.url, sleeps) as c, pytest.raises(EntryGoError) as raised:
        c.exports.broker_requests.answer("exp_1", "req-1", message="Again.", idempotencyKey="k-1")
    err = raised.value
    assert (err.status, err.error_code) == (409, "INVALID_EXPORT_STATE")
    assert err.details == details
    assert err.message == "INVALID_EXPORT_STATE happened"
    assert err.request_id == "req-123"
    assert len(server.seen) == 1
    assert sleeps == []


def test_a_503_answer_is_repeated_with_the_same_key(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(error(503, "SERVICE_UNAVAILABLE"), answered("amendment_sent", amendment=1))
    with client(server.url, sleeps) as c:
        result = c.exports.broker_requests.answer(
            "exp_1", "req-2", message="Fixed.", documents=[("a.jpg", "image/jpeg", b"\xff\xd8")]
        )
    assert result.amendment == 1
    assert len(server.seen) == 2
    assert server.keys[0] == server.keys[1]
    assert server.seen[0]["body"] == server.seen[1]["body"]


async def test_the_async_client_lists_and_answers(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(
        (200, REQUESTS, {}),
        answered("awaiting_review"),
        error(409, "INVALID_EXPORT_STATE"),
    )
    async with AsyncEntryGo("eg_test_key", server.url, sleep=sleeps.asleep) as c:
        listed = await c.exports.broker_requests.list("exp_1")
        result = await c.exports.broker_requests.answer(
            "exp_1",
            "rejection-4",
            message="HS code corrected.",
            documents=[("letter.pdf", "application/pdf", PDF)],
            idempotencyKey="fix-1",
        )
        with pytest.raises(EntryGoError) as raised:
            await c.exports.broker_requests.answer("exp_1", "req-1", message="Late.")
    assert [r.requestId for r in listed.data] == ["req-1", "rejection-4"]
    assert result.outcome == "awaiting_review"
    assert (raised.value.status, raised.value.error_code) == (409, "INVALID_EXPORT_STATE")
    listing, answer, refused = server.seen
    assert listing["path"] == "/api/exports/exp_1/broker-requests"
    assert answer["path"] == "/api/exports/exp_1/broker-requests/rejection-4/answer"
    assert answer["key"] == "fix-1"
    assert answer["body"]["documents"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert refused["path"] == "/api/exports/exp_1/broker-requests/req-1/answer"
