"""Safe retries against a real HTTP server on loopback: what is repeated (always with the same
Idempotency-Key), after how long, and what is not repeated at all."""

from typing import Any

import pytest
from entrygo_client import AsyncEntryGo, EntryGo, EntryGoError
from entrygo_client._http import Retry
from sdk_loopback import DROP, Sleeps, closed_port, error

OK = (200, {"data": [{"id": "ord_1", "externalId": "A"}]}, {})


def client(url: str, sleeps: Sleeps, max_retries: int = 3) -> EntryGo:
    return EntryGo("eg_test_key", url, max_retries=max_retries, sleep=sleeps)


@pytest.mark.parametrize(
    ("first", "slept"),
    [
        (error(429, "RATE_LIMITED", headers={"retry-after": "7"}), [7.0]),
        (error(503, "SERVICE_UNAVAILABLE"), None),
        (error(409, "IDEMPOTENCY_IN_PROGRESS", headers={"retry-after": "1"}), [1.0]),
        (DROP, None),  # the server read the request and closed the connection unanswered
    ],
    ids=["429-retry-after", "503", "409-in-progress", "dropped-connection"],
)
def test_what_is_safe_to_repeat_is_repeated_with_the_same_key(
    loopback: Any, sleeps: Sleeps, first: Any, slept: list[float] | None
) -> None:
    server = loopback(first, OK)
    with client(server.url, sleeps) as c:
        orders = c.orders.sync(accountId="acc_1", items=[{"externalId": "A"}])
    assert orders["data"][0]["id"] == orders.data[0].id == "ord_1"
    assert len(server.seen) == 2
    assert server.keys[0] == server.keys[1]
    assert server.keys[0] is not None
    assert server.keys[0].startswith("sdk-")
    assert server.seen[0]["auth"] == server.seen[1]["auth"] == "Bearer eg_test_key"
    assert server.seen[0]["body"] == server.seen[1]["body"]
    assert server.seen[0]["body"] == {"accountId": "acc_1", "items": [{"externalId": "A"}]}
    assert len(sleeps) == 1
    if slept is not None:
        assert sleeps == slept  # the server's Retry-After, not the backoff
    else:
        assert 0.125 <= sleeps[0] <= 0.25  # the first backoff step, with jitter


@pytest.mark.parametrize(
    "answer",
    [
        error(400, "VALIDATION_ERROR", field="orderIds", details={"issues": [{"path": "x"}]}),
        error(401, "INVALID_API_KEY"),
        error(403, "INSUFFICIENT_ROLE", details={"requiredRole": "reviewer"}),
        error(404, "NOT_FOUND", details={"resource": "export"}),
        error(409, "EXPORT_BLOCKED", details={"readinessState": "BLOCKED"}),
        error(409, "IDEMPOTENCY_CONFLICT"),
        error(500, "INTERNAL_ERROR", details={"requestId": "r1"}),
    ],
    ids=lambda a: f"{a[0]}-{a[1]['errorCode']}",
)
def test_nothing_else_is_repeated(loopback: Any, sleeps: Sleeps, answer: Any) -> None:
    server = loopback(answer, OK)
    with client(server.url, sleeps) as c, pytest.raises(EntryGoError) as raised:
        c.exports.execute(accountId="acc_1", batchId="exp_1", idempotencyKey="my-key-1")
    assert len(server.seen) == 1
    assert sleeps == []
    err = raised.value
    status, body, _ = answer
    assert (err.status, err.error_code, err.message) == (status, body["errorCode"], body["message"])
    assert err.field == body.get("field")
    assert err.details == body.get("details")
    assert err.request_id == "req-123"
    assert server.keys == ["my-key-1"]  # the caller's key travels in the header
    assert server.seen[0]["body"] == {"accountId": "acc_1", "batchId": "exp_1"}


def test_retries_end_after_max_retries_with_the_last_answer(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(*[error(503, "SERVICE_UNAVAILABLE")] * 10)
    with client(server.url, sleeps, max_retries=4) as c, pytest.raises(EntryGoError) as raised:
        c.plan(accountId="a", warehouseId="w", brokerId="b", orderIds=["o"])
    assert (raised.value.status, raised.value.error_code) == (503, "SERVICE_UNAVAILABLE")
    assert len(server.seen) == 5  # the first try and four retries
    assert len(set(server.keys)) == 1
    assert len(sleeps) == 4
    # capped exponential backoff with jitter: each delay in [ceiling/2, ceiling]
    for n, delay in enumerate(sleeps):
        ceiling = min(8.0, 0.25 * 2**n)
        assert ceiling / 2 <= delay <= ceiling


def test_a_network_failure_after_the_retries_is_an_entrygo_error(
    loopback: Any, sleeps: Sleeps
) -> None:
    server = loopback(DROP, DROP, DROP)
    with client(server.url, sleeps, max_retries=2) as c, pytest.raises(EntryGoError) as raised:
        c.exports.cancel("exp_1", reason="no")
    assert (raised.value.status, raised.value.error_code) == (None, "NETWORK_ERROR")
    assert len(server.seen) == 3
    assert len(set(server.keys)) == 1
    closed = f"http://127.0.0.1:{closed_port()}/api"
    with client(closed, sleeps, max_retries=2) as c, pytest.raises(EntryGoError) as refused:
        c.inspect("exp_1")
    assert refused.value.error_code == "NETWORK_ERROR"
    assert "ConnectError" in str(refused.value)


def test_backoff_is_capped(sleeps: Sleeps) -> None:
    retry = Retry(max_retries=10, base=0.25, cap=8.0)
    assert all(4.0 <= retry.delay(n) <= 8.0 for n in range(5, 40))
    assert retry.delay(3, retry_after=2.0) == 2.0
    assert retry.delay(3, retry_after=3600.0) == 60.0  # a server's Retry-After is bounded


def test_reads_carry_no_key_and_every_write_does(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(route=lambda method, path, body: (200, {"exportId": "exp_1"}, {}))
    with client(server.url, sleeps) as c:
        view = c.exports.get("exp_1")
        c.exports.retry("exp 1/x")
        c.exports.retry("exp_2")
        c.exports.approve("exp_1", planHash="sha256:ab", idempotencyKey="approve-1")
        c.exports.reject("exp_1", reason="not today")
        c.exports.list(status="AWAITING_APPROVAL", limit=5)
        c.exports.events("exp_1", after=3)
    assert view.exportId == view["exportId"] == "exp_1"
    get, retry1, retry2, approve, reject, listed, events = server.seen
    assert get["key"] is None
    assert listed["key"] is None
    assert events["key"] is None
    assert retry1["key"] != retry2["key"]  # each call its own generated key
    assert retry1["path"] == "/api/exports/exp%201%2Fx/retry"
    assert retry1["body"] == {}
    assert approve == {**approve, "key": "approve-1", "body": {"planHash": "sha256:ab"}}
    assert reject["body"] == {"reason": "not today"}
    assert listed["path"] == "/api/exports?status=AWAITING_APPROVAL&limit=5"
    assert events["path"] == "/api/exports/exp_1/events?after=3"


def test_an_error_that_is_not_the_contracts_body_is_still_an_entrygo_error(
    loopback: Any, sleeps: Sleeps
) -> None:
    server = loopback((502, b"<html>bad gateway</html>", {}))
    with client(server.url, sleeps) as c, pytest.raises(EntryGoError) as raised:
        c.exports.get("exp_1")
    err = raised.value
    assert (err.status, err.error_code, err.field) == (502, "HTTP_502", None)
    assert "bad gateway" in err.message
    assert str(err).startswith("HTTP 502 HTTP_502: <html>bad gateway")


async def test_the_async_client_retries_the_same_way(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(error(429, "RATE_LIMITED", headers={"retry-after": "2"}), DROP, OK)
    async with AsyncEntryGo("eg_test_key", server.url, sleep=sleeps.asleep) as c:
        orders = await c.orders.sync(accountId="acc_1", items=[{"externalId": "A"}])
    assert orders.data[0]["id"] == "ord_1"
    assert len(server.seen) == 3
    assert len(set(server.keys)) == 1
    assert sleeps[0] == 2.0
    assert len(sleeps) == 2


async def test_the_async_client_does_not_repeat_a_400(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback(error(400, "VALIDATION_ERROR", field="items"), OK)
    async with AsyncEntryGo("eg_test_key", server.url, sleep=sleeps.asleep) as c:
        with pytest.raises(EntryGoError) as raised:
            await c.products.sync(accountId="acc_1", items=[])
    assert (raised.value.status, raised.value.field, len(server.seen)) == (400, "items", 1)


def test_artifact_content_is_bytes(loopback: Any, sleeps: Sleeps) -> None:
    server = loopback((200, b"%PDF-1.4 bytes", {}))
    with client(server.url, sleeps) as c:
        content = c.artifacts.content("art_1")
    assert content == b"%PDF-1.4 bytes"
    assert server.seen[0]["path"] == "/api/artifacts/art_1/content"
