"""The sandbox broker over ASGI, calling back a real loopback receiver."""

import re
import time

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.references import broker_reference, entry_number
from signing import SIGNATURE_HEADER, SignatureError, verify
from tests.support.sandbox_servers import (
    CALLBACK_SECRET,
    SECRET,
    CallbackReceiver,
    document,
    eventually,
    post_signed,
    sandbox_of,
    submission_body,
)

ENTRY_NUMBER = re.compile(r"[A-Z0-9]{3}-\d{7}-\d")


async def stats(client: httpx.AsyncClient) -> dict[str, object]:
    response = await client.get("/_sandbox/stats")
    assert response.status_code == 200
    payload: dict[str, object] = response.json()
    return payload


async def settled(app: Starlette) -> None:
    await eventually(lambda: sandbox_of(app).pending_callbacks == 0, "callbacks finished")


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/_sandbox/health")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    ("secret", "drop_header", "reason"),
    [("not-the-secret", False, "mismatch"), (SECRET, True, "missing")],
)
async def test_bad_signature_is_401(
    client: httpx.AsyncClient, secret: str, drop_header: bool, reason: str
) -> None:
    body = submission_body("bsub_bad", "http://127.0.0.1:9/cb")
    if drop_header:
        response = await client.post("/submissions", content=body)
    else:
        response = await post_signed(client, body, secret=secret)
    assert response.status_code == 401
    assert response.json() == {"error": "INVALID_SIGNATURE", "reason": reason}
    counts = await stats(client)
    assert counts["rawDeliveries"] == 1
    assert counts["uniqueSubmissions"] == 0


async def test_stale_signature_is_401_expired(client: httpx.AsyncClient) -> None:
    body = submission_body("bsub_old", "http://127.0.0.1:9/cb")
    response = await post_signed(client, body, timestamp=1_000_000_000)
    assert response.status_code == 401
    assert response.json()["reason"] == "expired"


async def test_accepted_submission_calls_back_signed_and_in_order(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    response = await post_signed(client, submission_body("bsub_ok", receiver.url))
    assert response.status_code == 202
    receipt = response.json()
    assert receipt == {
        "submissionId": "bsub_ok",
        "brokerReference": broker_reference("bsub_ok"),
        "status": "RECEIVED",
        "duplicate": False,
    }
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    ack, outcome = receiver.calls
    for call in (ack, outcome):
        signature = call.headers[SIGNATURE_HEADER.lower()]
        verify(CALLBACK_SECRET, call.body, signature, int(time.time()))
        with pytest.raises(SignatureError):
            verify(SECRET, call.body, signature, int(time.time()))
    assert ack.json["status"] == "ACKNOWLEDGED"
    assert set(ack.json) == {"submissionId", "status", "brokerReference", "occurredAt"}
    assert outcome.json["status"] == "ACCEPTED"
    assert outcome.json["entryNumber"] == entry_number("bsub_ok")
    assert ENTRY_NUMBER.fullmatch(outcome.json["entryNumber"])
    assert {ack.json["brokerReference"], outcome.json["brokerReference"]} == {
        receipt["brokerReference"]
    }
    await settled(broker_app)
    counts = await stats(client)
    assert counts["accepted"] == 1
    assert counts["callbacksSent"] == 2
    assert counts["callbacksFailed"] == 0
    entry = counts["submissions"]["bsub_ok"]  # type: ignore[index]
    assert entry["status"] == "ACCEPTED"
    assert entry["deliveries"] == 1


async def test_duplicates_create_one_submission_and_one_set_of_callbacks(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    body = submission_body("bsub_dup", receiver.url)
    answers = [await post_signed(client, body) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [202, 200, 200]
    assert len({answer.json()["brokerReference"] for answer in answers}) == 1
    assert [answer.json()["duplicate"] for answer in answers] == [False, True, True]
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    await settled(broker_app)
    # A late duplicate after the outcome still answers the same reference and calls nothing.
    assert (await post_signed(client, body)).json()["brokerReference"] == answers[0].json()[
        "brokerReference"
    ]
    await settled(broker_app)
    assert [call.json["status"] for call in receiver.calls] == ["ACKNOWLEDGED", "ACCEPTED"]
    counts = await stats(client)
    assert counts["rawDeliveries"] == 4
    assert counts["uniqueSubmissions"] == 1
    assert counts["callbacksSent"] == 2
    assert counts["submissions"]["bsub_dup"]["deliveries"] == 4  # type: ignore[index]


async def test_fail_next_answers_503_then_accepts(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    set_faults = await client.post("/_sandbox/faults", json={"failNext": 2})
    assert set_faults.json()["failNext"] == 2
    body = submission_body("bsub_outage", receiver.url)
    answers = [await post_signed(client, body) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [503, 503, 202]
    assert answers[0].json()["error"] == "BROKER_UNAVAILABLE"
    await settled(broker_app)
    counts = await stats(client)
    assert counts["rawDeliveries"] == 3
    assert counts["unavailable"] == 2
    assert counts["uniqueSubmissions"] == 1
    assert counts["submissions"]["bsub_outage"]["deliveries"] == 3  # type: ignore[index]
    assert [call.json["status"] for call in receiver.calls] == ["ACKNOWLEDGED", "ACCEPTED"]


async def test_fail_for_seconds_uses_the_fault_clock(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    now = [100.0]
    faults = sandbox_of(broker_app).faults
    faults.clock = lambda: now[0]
    await client.post("/_sandbox/faults", json={"failForSeconds": 10})
    body = submission_body("bsub_window", receiver.url)
    assert (await post_signed(client, body)).status_code == 503
    now[0] += 9
    assert (await post_signed(client, body)).status_code == 503
    now[0] += 2
    assert (await post_signed(client, body)).status_code == 202
    await settled(broker_app)


async def test_slow_answers_still_succeed(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    faults = await client.post("/_sandbox/faults", json={"delaySeconds": 0.02})
    assert faults.json()["delaySeconds"] == 0.02
    assert (await post_signed(client, submission_body("bsub_slow", receiver.url))).is_success
    await settled(broker_app)


async def test_reject_sync_refuses_with_422_and_creates_nothing(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await client.post("/_sandbox/faults", json={"reject": "sync", "rejectReason": "HTS missing"})
    body = submission_body("bsub_sync", receiver.url)
    response = await post_signed(client, body)
    assert response.status_code == 422
    assert response.json() == {"error": "DOCUMENT_REJECTED", "reason": "HTS missing"}
    counts = await stats(client)
    assert counts["uniqueSubmissions"] == 0
    assert counts["refused"] == 1
    # Once the broker takes documents again, the same submission goes through.
    await client.post("/_sandbox/faults", json={"reject": None})
    assert (await post_signed(client, body)).status_code == 202
    await settled(broker_app)
    assert [call.json["status"] for call in receiver.calls] == ["ACKNOWLEDGED", "ACCEPTED"]


async def test_reject_async_sends_rejected_after_acknowledged(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await client.post("/_sandbox/faults", json={"reject": "async"})
    response = await post_signed(client, submission_body("bsub_async", receiver.url))
    assert response.status_code == 202
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    ack, outcome = receiver.calls
    assert ack.json["status"] == "ACKNOWLEDGED"
    assert outcome.json["status"] == "REJECTED"
    assert outcome.json["reason"]
    assert "entryNumber" not in outcome.json
    await settled(broker_app)
    counts = await stats(client)
    assert counts["rejected"] == 1
    assert counts["accepted"] == 0
    assert counts["submissions"]["bsub_async"]["status"] == "REJECTED"  # type: ignore[index]


async def test_invoice_marker_rejects(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    invoice = {"lines": [{"description": "Scarf SANDBOX-REJECT"}]}
    body = submission_body("bsub_marker", receiver.url, invoice=invoice)
    assert (await post_signed(client, body)).status_code == 202
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    assert receiver.calls[1].json["status"] == "REJECTED"
    assert "SANDBOX-REJECT" in receiver.calls[1].json["reason"]
    await settled(broker_app)


async def test_checksum_mismatch_is_a_document_rejection(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    bad = document("manifest", "manifest.json", b"{}") | {"sha256": "0" * 64}
    body = submission_body("bsub_sum", receiver.url, documents=[bad])
    response = await post_signed(client, body)
    assert response.status_code == 422
    assert response.json()["error"] == "DOCUMENT_REJECTED"
    assert "manifest.json" in response.json()["reason"]


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (b"not json", None),
        (b'{"callbackUrl": "http://127.0.0.1/cb"}', None),
        (b'{"submissionId": "bsub_x", "callbackUrl": "ftp://host/cb"}', None),
        (b'{"submissionId": "bsub_x", "callbackUrl": "http://127.0.0.1/cb"}', "bsub_other"),
    ],
)
async def test_invalid_body_is_400(client: httpx.AsyncClient, body: bytes, key: str | None) -> None:
    response = await post_signed(client, body, idempotency_key=key)
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_REQUEST"
    assert (await stats(client))["uniqueSubmissions"] == 0


async def test_callback_retries_until_delivered(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    receiver.fail_next = 2
    assert (await post_signed(client, submission_body("bsub_retry", receiver.url))).is_success
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    await settled(broker_app)
    counts = await stats(client)
    assert counts["callbacksSent"] == 2
    assert counts["callbacksFailed"] == 0
    assert counts["callbackAttempts"] == 4
    callbacks = counts["submissions"]["bsub_retry"]["callbacks"]  # type: ignore[index]
    assert [(c["status"], c["attempts"], c["delivered"]) for c in callbacks] == [
        ("ACKNOWLEDGED", 3, True),
        ("ACCEPTED", 1, True),
    ]


async def test_undeliverable_callbacks_are_recorded_not_raised(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    receiver.fail_always = True
    assert (await post_signed(client, submission_body("bsub_down", receiver.url))).is_success
    await settled(broker_app)
    counts = await stats(client)
    assert counts["callbacksSent"] == 0
    assert counts["callbacksFailed"] == 2
    entry = counts["submissions"]["bsub_down"]  # type: ignore[index]
    assert entry["callbacks"][0]["lastError"] == "HTTP 500"
    assert (await client.get("/_sandbox/health")).status_code == 200


async def test_silent_broker_never_calls_back(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await client.post("/_sandbox/faults", json={"silent": True})
    assert (await post_signed(client, submission_body("bsub_quiet", receiver.url))).is_success
    await settled(broker_app)
    assert receiver.calls == []
    assert (await stats(client))["submissions"]["bsub_quiet"]["status"] == "RECEIVED"  # type: ignore[index]


@pytest.mark.parametrize(
    "payload",
    [{"failNext": -1}, {"failNext": 1.5}, {"reject": True}, {"bogus": 1}, {"delaySeconds": "1"}],
)
async def test_bad_fault_requests_are_400_and_change_nothing(
    client: httpx.AsyncClient, payload: dict[str, object]
) -> None:
    before = (await client.get("/_sandbox/faults")).json()
    response = await client.post("/_sandbox/faults", json=payload)
    assert response.status_code == 400
    assert (await client.get("/_sandbox/faults")).json() == before


async def test_reset_forgets_everything(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await client.post("/_sandbox/faults", json={"failNext": 1, "reject": "async"})
    body = submission_body("bsub_reset", receiver.url)
    await post_signed(client, body)
    await post_signed(client, body)
    response = await client.post("/_sandbox/reset")
    assert response.json()["rawDeliveries"] == 0
    assert response.json()["uniqueSubmissions"] == 0
    assert response.json()["faults"]["failNext"] == 0
    assert response.json()["faults"]["reject"] is None
    await settled(broker_app)
