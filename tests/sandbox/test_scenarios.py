"""Version 2 scenarios of the sandbox broker over ASGI, calling back a real loopback receiver."""

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.payload import has_street_address
from sandbox.references import broker_reference, entry_number
from signing import SIGNATURE_HEADER, verify
from tests.support.sandbox_servers import (
    CALLBACK_SECRET,
    Callback,
    CallbackReceiver,
    document,
    eventually,
    post_signed,
    sandbox_of,
    serve,
    submission_body,
)

SBX_ENTRY = re.compile(r"SBX-\d{7}-\d")
STREET = "12 Mill Road, Leeds, West Yorkshire"
NO_STREET = "Leeds, West Yorkshire"


def invoice(entry_type: str | None, address: str, *, metadata: Any = None) -> dict[str, Any]:
    """A `cci_json` invoice shaped like the one EntryGo renders (orders with their lines)."""
    order: dict[str, Any] = {
        "orderId": "ord_1",
        "orderExternalId": "1001",
        "entryType": entry_type,
        "lines": [
            {
                "lineNo": 1,
                "orderId": "ord_1",
                "sku": "SCARF-1",
                "description": "Wool scarf",
                "hsCode": "6117.10.60",
                "manufacturer": {"name": "Mill Ltd", "address": address, "country": "GB"},
            }
        ],
    }
    if metadata is not None:
        order["metadata"] = metadata
    return {"documentType": "COMMERCIAL_INVOICE", "orders": [order]}


def body(
    submission_id: str,
    callback_url: str,
    *,
    scenario: str | None = None,
    amendment: int | None = None,
    amends: dict[str, Any] | None = None,
    entry_type: str | None = None,
    address: str = NO_STREET,
    scenario_in_invoice: bool = False,
) -> bytes:
    """A submission body; the scenario rides on the first order's metadata."""
    metadata = {"sandboxScenario": scenario} if scenario is not None else None
    cci = invoice(entry_type, address, metadata=metadata if scenario_in_invoice else None)
    documents = [document("cci_json", "commercial_customs_invoice.json", json.dumps(cci).encode())]
    payload: dict[str, Any] = json.loads(
        submission_body(submission_id, callback_url, invoice=cci, documents=documents)
    )
    if scenario_in_invoice:
        payload["invoice"] = None  # the broker finds the scenario in the cci_json document
    if metadata is not None and not scenario_in_invoice:
        payload["orders"] = [{"orderId": "ord_1", "metadata": metadata}]
    if amendment is not None:
        payload["amendment"] = amendment
    if amends is not None:
        payload["amends"] = amends
    return json.dumps(payload).encode()


def key(submission_id: str, amendment: int) -> str:
    return submission_id if amendment == 0 else f"{submission_id}:A{amendment}"


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/_sandbox/stats")
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    return payload


async def settled(app: Starlette) -> None:
    await eventually(lambda: sandbox_of(app).pending_callbacks == 0, "callbacks finished")


def sent(calls: list[Callback]) -> list[tuple[str, int]]:
    return [(call.json["type"], call.json["sequence"]) for call in calls]


def without_time(call: Callback) -> dict[str, Any]:
    return {k: v for k, v in call.json.items() if k != "occurredAt"}


def moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def amend(
    client: httpx.AsyncClient, submission_id: str, url: str, number: int, **kwargs: Any
) -> httpx.Response:
    payload = body(submission_id, url, amendment=number, **kwargs)
    return await post_signed(client, payload, idempotency_key=key(submission_id, number))


async def test_accept_files_the_entry_then_releases(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    answer = await post_signed(
        client, body("s_acc", receiver.url, scenario="accept", entry_type="01")
    )
    assert answer.status_code == 202
    await eventually(lambda: len(receiver.calls) == 3, "three callbacks")
    for call in receiver.calls:
        verify(CALLBACK_SECRET, call.body, call.headers[SIGNATURE_HEADER.lower()], int(time.time()))
        assert set(call.json) >= {"submissionId", "sequence", "type", "occurredAt"}
        assert "status" not in call.json
    ack, filed, released = (without_time(call) for call in receiver.calls)
    reference = broker_reference("s_acc")
    assert ack == {
        "submissionId": "s_acc",
        "sequence": 1,
        "type": "ACKNOWLEDGED",
        "brokerReference": reference,
    }
    assert filed == {
        "submissionId": "s_acc",
        "sequence": 2,
        "type": "ENTRY_FILED",
        "entryNumber": entry_number("s_acc", "SBX"),
        "entryType": "01",
    }
    assert SBX_ENTRY.fullmatch(filed["entryNumber"])
    assert released == {"submissionId": "s_acc", "sequence": 3, "type": "RELEASED"}
    await settled(broker_app)
    entry = (await stats(client))["submissions"]["s_acc"]
    assert entry["scenario"] == "accept"
    assert entry["protocolVersion"] == 2
    assert entry["status"] == "RELEASED"
    assert entry["lastSequence"] == 3
    assert [(c["type"], c["sequence"], c["delivered"]) for c in entry["callbacks"]] == [
        ("ACKNOWLEDGED", 1, True),
        ("ENTRY_FILED", 2, True),
        ("RELEASED", 3, True),
    ]


async def test_accept_without_an_entry_type_hint_files_type_11(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_t11", receiver.url, scenario="accept"))
    await eventually(lambda: len(receiver.calls) == 3, "three callbacks")
    assert receiver.calls[1].json["entryType"] == "11"
    await settled(broker_app)


async def test_scenario_is_read_from_the_invoice_document_order_metadata(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    payload = body("s_doc", receiver.url, scenario="reject_final", scenario_in_invoice=True)
    assert (await post_signed(client, payload)).status_code == 202
    await eventually(lambda: len(receiver.calls) == 2, "two callbacks")
    assert sent(receiver.calls) == [("ACKNOWLEDGED", 1), ("REJECTED", 2)]
    await settled(broker_app)


async def test_info_request_asks_again_until_the_street_is_sent(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    assert (
        await post_signed(client, body("s_info", receiver.url, scenario="info_request"))
    ).is_success
    await eventually(lambda: len(receiver.calls) == 2, "acknowledged and request")
    request = receiver.calls[1]
    assert without_time(request) == {
        "submissionId": "s_info",
        "sequence": 2,
        "type": "INFO_REQUESTED",
        "requestId": "req-1",
        "fields": [
            {
                "path": "lines[0].manufacturer.address",
                "reason": "street address of line 1's manufacturer is missing",
            }
        ],
        "documents": [],
        "message": "Please send the street address of the manufacturer of line 1.",
        "dueBy": request.json["dueBy"],
    }
    due = moment(request.json["dueBy"]) - moment(request.json["occurredAt"])
    assert timedelta(days=2) - timedelta(seconds=5) < due <= timedelta(days=2)

    answers = {"requestId": "req-1", "reason": "manufacturer address"}
    first = await amend(client, "s_info", receiver.url, 1, amends=answers)
    assert first.status_code == 202
    assert first.json()["amendment"] == 1
    await eventually(lambda: len(receiver.calls) == 4, "second request")
    assert without_time(receiver.calls[2]) == {
        "submissionId": "s_info",
        "sequence": 3,
        "type": "ACKNOWLEDGED",
        "brokerReference": broker_reference("s_info"),
        "amendment": 1,
    }
    assert receiver.calls[3].json["type"] == "INFO_REQUESTED"
    assert receiver.calls[3].json["requestId"] == "req-2"
    assert receiver.calls[3].json["sequence"] == 4

    second = await amend(client, "s_info", receiver.url, 2, address=STREET)
    assert second.status_code == 202
    await eventually(lambda: len(receiver.calls) == 7, "filed and released")
    assert sent(receiver.calls[4:]) == [("ACKNOWLEDGED", 5), ("ENTRY_FILED", 6), ("RELEASED", 7)]
    await settled(broker_app)
    counts = await stats(client)
    assert counts["uniqueSubmissions"] == 1
    entry = counts["submissions"]["s_info"]
    assert [a["amendment"] for a in entry["amendments"]] == [0, 1, 2]
    assert entry["amendments"][1]["idempotencyKey"] == "s_info:A1"
    assert entry["amendments"][1]["amends"] == answers
    assert [c["sequence"] for c in entry["callbacks"]] == [1, 2, 3, 4, 5, 6, 7]
    # one submission's view is the stats' entry; each delivery number carries when it arrived
    one = await client.get("/_sandbox/submissions/s_info")
    assert one.status_code == 200
    assert one.json() == entry
    arrivals = [a["receivedAt"] for a in entry["amendments"]]
    assert arrivals == sorted(arrivals)
    assert abs(arrivals[-1] - time.time()) < 60
    missing = await client.get("/_sandbox/submissions/s_nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "SUBMISSION_NOT_FOUND"


async def test_hold_then_release_waits_hold_seconds(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    faults = await client.post("/_sandbox/faults", json={"holdSeconds": 0.3})
    assert faults.json()["holdSeconds"] == 0.3
    await post_signed(client, body("s_hold", receiver.url, scenario="hold_then_release"))
    await eventually(lambda: len(receiver.calls) == 5, "five callbacks")
    assert sent(receiver.calls) == [
        ("ACKNOWLEDGED", 1),
        ("ENTRY_FILED", 2),
        ("HOLD", 3),
        ("HOLD_RELEASED", 4),
        ("RELEASED", 5),
    ]
    hold, lifted = receiver.calls[2], receiver.calls[3]
    assert without_time(hold) == {
        "submissionId": "s_hold",
        "sequence": 3,
        "type": "HOLD",
        "holdId": "hold-1",
        "agency": "CBP",
        "reason": "exam",
    }
    assert without_time(lifted) == {
        "submissionId": "s_hold",
        "sequence": 4,
        "type": "HOLD_RELEASED",
        "holdId": "hold-1",
    }
    held = moment(lifted.json["occurredAt"]) - moment(hold.json["occurredAt"])
    assert held >= timedelta(seconds=0.3)
    await settled(broker_app)


async def test_hold_seconds_default_to_three(client: httpx.AsyncClient) -> None:
    assert (await client.get("/_sandbox/faults")).json()["holdSeconds"] == 3


async def test_reject_correctable_then_amendment_releases(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_rc", receiver.url, scenario="reject_correctable"))
    await eventually(lambda: len(receiver.calls) == 2, "acknowledged and rejected")
    assert without_time(receiver.calls[1]) == {
        "submissionId": "s_rc",
        "sequence": 2,
        "type": "REJECTED",
        "reason": "HTS classification of line 1 needs correction",
        "fields": [
            {"path": "lines[0].hsCode", "reason": "HTS code not valid for the goods described"}
        ],
        "correctable": True,
    }
    assert (await amend(client, "s_rc", receiver.url, 1)).status_code == 202
    await eventually(lambda: len(receiver.calls) == 5, "filed and released")
    assert sent(receiver.calls) == [
        ("ACKNOWLEDGED", 1),
        ("REJECTED", 2),
        ("ACKNOWLEDGED", 3),
        ("ENTRY_FILED", 4),
        ("RELEASED", 5),
    ]
    await settled(broker_app)
    counts = await stats(client)
    assert counts["rejected"] == 1
    assert counts["accepted"] == 1


async def test_reject_final_is_not_correctable(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_rf", receiver.url, scenario="reject_final"))
    await eventually(lambda: len(receiver.calls) == 2, "acknowledged and rejected")
    rejected = receiver.calls[1].json
    assert (rejected["type"], rejected["sequence"]) == ("REJECTED", 2)
    assert rejected["correctable"] is False
    assert rejected["fields"] == []
    assert rejected["reason"]
    await settled(broker_app)
    assert (await stats(client))["submissions"]["s_rf"]["status"] == "REJECTED"


async def test_silent_scenario_never_calls_back(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    answer = await post_signed(client, body("s_quiet", receiver.url, scenario="silent"))
    assert answer.status_code == 202
    await settled(broker_app)
    assert receiver.calls == []
    entry = (await stats(client))["submissions"]["s_quiet"]
    assert entry["scenario"] == "silent"
    assert entry["callbacks"] == []
    assert entry["lastSequence"] == 0


async def test_duplicate_out_of_order_sends_each_twice_release_first(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_dup", receiver.url, scenario="duplicate_out_of_order"))
    await eventually(lambda: len(receiver.calls) == 6, "six callbacks")
    assert sent(receiver.calls) == [
        ("ACKNOWLEDGED", 1),
        ("ACKNOWLEDGED", 1),
        ("RELEASED", 3),
        ("RELEASED", 3),
        ("ENTRY_FILED", 2),
        ("ENTRY_FILED", 2),
    ]
    for first, again in zip(receiver.calls[::2], receiver.calls[1::2], strict=True):
        assert first.body == again.body
    assert receiver.calls[4].json["entryNumber"] == entry_number("s_dup", "SBX")
    await settled(broker_app)
    counts = await stats(client)
    assert counts["accepted"] == 1
    assert counts["callbacksSent"] == 6
    assert counts["submissions"]["s_dup"]["lastSequence"] == 3
    assert counts["submissions"]["s_dup"]["status"] == "RELEASED"
    assert counts["submissions"]["s_dup"]["entryNumber"] == entry_number("s_dup", "SBX")


async def test_repeated_amendment_is_deduplicated(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_rep", receiver.url, scenario="reject_correctable"))
    answers = [await amend(client, "s_rep", receiver.url, 1) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert [a.json()["duplicate"] for a in answers] == [False, True, True]
    await eventually(lambda: len(receiver.calls) == 5, "one set of callbacks")
    await settled(broker_app)
    assert len(receiver.calls) == 5
    counts = await stats(client)
    entry = counts["submissions"]["s_rep"]
    assert [(a["amendment"], a["deliveries"]) for a in entry["amendments"]] == [(0, 1), (1, 3)]
    assert entry["deliveries"] == 4
    assert counts["amendmentsReceived"] == 1


async def test_amendment_that_skips_a_number_is_409(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_gap", receiver.url, scenario="info_request"))
    await eventually(lambda: len(receiver.calls) == 2, "acknowledged and request")
    answer = await amend(client, "s_gap", receiver.url, 2)
    assert answer.status_code == 409
    assert answer.json()["error"] == "AMENDMENT_OUT_OF_ORDER"
    await settled(broker_app)
    assert len(receiver.calls) == 2
    counts = await stats(client)
    entry = counts["submissions"]["s_gap"]
    assert [a["amendment"] for a in entry["amendments"]] == [0]
    assert entry["amendmentsRefused"] == 1
    assert counts["amendmentsRefused"] == 1
    # The missing amendment 1 is still taken afterwards.
    assert (await amend(client, "s_gap", receiver.url, 1, address=STREET)).status_code == 202
    await settled(broker_app)


async def test_amendment_of_an_unknown_submission_is_404(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    answer = await amend(client, "s_none", receiver.url, 1)
    assert answer.status_code == 404
    assert answer.json()["error"] == "SUBMISSION_NOT_FOUND"
    counts = await stats(client)
    assert counts["uniqueSubmissions"] == 0
    assert counts["amendmentsUnknown"] == 1


async def test_amendment_key_must_name_the_amendment(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    await post_signed(client, body("s_key", receiver.url, scenario="silent"))
    payload = body("s_key", receiver.url, amendment=1)
    answer = await post_signed(client, payload, idempotency_key="s_key")
    assert answer.status_code == 400
    assert "s_key:A1" in answer.json()["reason"]


async def test_default_scenario_switch(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    switched = await client.post("/_sandbox/faults", json={"scenario": "reject_final"})
    assert switched.status_code == 200
    assert switched.json()["scenario"] == "reject_final"
    await post_signed(client, body("s_def", receiver.url))
    await eventually(lambda: len(receiver.for_submission("s_def")) == 2, "default scenario")
    assert sent(receiver.for_submission("s_def")) == [("ACKNOWLEDGED", 1), ("REJECTED", 2)]
    # An order's own scenario wins over the default.
    await post_signed(client, body("s_own", receiver.url, scenario="accept"))
    await eventually(lambda: len(receiver.for_submission("s_own")) == 3, "own scenario")
    # Back to version 1: `status` bodies, no sequence.
    await client.post("/_sandbox/faults", json={"scenario": None})
    await post_signed(client, body("s_v1", receiver.url))
    await eventually(lambda: len(receiver.for_submission("s_v1")) == 2, "version 1")
    assert [c.json["status"] for c in receiver.for_submission("s_v1")] == [
        "ACKNOWLEDGED",
        "ACCEPTED",
    ]
    assert all("sequence" not in c.json for c in receiver.for_submission("s_v1"))
    await settled(broker_app)
    assert (await stats(client))["submissions"]["s_v1"]["protocolVersion"] == 1


async def test_unknown_scenario_is_400(
    client: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    before = (await client.get("/_sandbox/faults")).json()
    answer = await client.post("/_sandbox/faults", json={"scenario": "explode"})
    assert answer.status_code == 400
    assert "explode" in answer.json()["reason"]
    assert (await client.get("/_sandbox/faults")).json() == before
    refused = await post_signed(client, body("s_bad", receiver.url, scenario="explode"))
    assert refused.status_code == 400
    assert (await stats(client))["uniqueSubmissions"] == 0


async def test_silent_fault_uses_no_sequence_numbers(
    client: httpx.AsyncClient, broker_app: Starlette, receiver: CallbackReceiver
) -> None:
    await client.post("/_sandbox/faults", json={"silent": True})
    await post_signed(client, body("s_mute", receiver.url, scenario="reject_correctable"))
    await settled(broker_app)
    assert receiver.calls == []
    await client.post("/_sandbox/faults", json={"silent": False})
    assert (await amend(client, "s_mute", receiver.url, 1)).status_code == 202
    await eventually(lambda: len(receiver.calls) == 3, "amendment callbacks")
    assert sent(receiver.calls) == [("ACKNOWLEDGED", 1), ("ENTRY_FILED", 2), ("RELEASED", 3)]
    await settled(broker_app)


@pytest.fixture
async def refusing_url() -> AsyncIterator[str]:
    async def refuse(request: Request) -> JSONResponse:
        return JSONResponse({"error": "INVALID_EXPORT_STATE"}, status_code=409)

    app = Starlette(routes=[Route("/cb", refuse, methods=["POST"])])
    async with serve(app) as base_url:
        yield f"{base_url}/cb"


async def test_a_409_answer_is_not_retried(
    client: httpx.AsyncClient, broker_app: Starlette, refusing_url: str
) -> None:
    await post_signed(client, body("s_409", refusing_url, scenario="reject_final"))
    await settled(broker_app)
    entry = (await stats(client))["submissions"]["s_409"]
    assert [(c["attempts"], c["delivered"], c["lastError"]) for c in entry["callbacks"]] == [
        (1, False, "HTTP 409"),
        (1, False, "HTTP 409"),
    ]


@pytest.mark.parametrize(
    ("address", "street"),
    [
        (STREET, True),
        (NO_STREET, False),
        ("", False),
        (None, False),
        ({"line1": "Unit 4, Mill Lane"}, True),
        ({"city": "Leeds"}, False),
    ],
)
def test_street_address_detection(address: Any, street: bool) -> None:
    assert has_street_address(address) is street
