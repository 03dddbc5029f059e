"""The JSON formatter: one object per line, the bound context, and nothing secret-shaped."""

import io
import json
import logging

import pytest

from observability.logs import JsonFormatter, TextFormatter, bind, bound, redact


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"name": "entrygo.test", "levelname": "INFO", "levelno": 20})
    record.msg, record.args = message, args
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_line_is_one_json_object_with_the_bound_context() -> None:
    with bound(request_id="r-1"):
        bind(account_id="acc_1", export_id=None)
        line = JsonFormatter("api").format(_record("planned %s", "exp_1", route="/api/x"))
    entry = json.loads(line)
    assert entry["msg"] == "planned exp_1"
    assert entry["request_id"] == "r-1"
    assert entry["account_id"] == "acc_1"
    assert "export_id" not in entry  # None is not bound
    assert entry["route"] == "/api/x"
    assert entry["process"] == "api"
    assert "\n" not in line


def test_context_ends_with_its_unit_of_work() -> None:
    with bound(request_id="r-2"):
        pass
    bind(account_id="outside")  # nothing is bound outside a unit of work
    entry = json.loads(JsonFormatter("api").format(_record("after")))
    assert "request_id" not in entry
    assert "account_id" not in entry


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key eg_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345 used", "AbCdEfGhIjKlMnOp"),
        ("Authorization: Bearer sk-something-long", "sk-something-long"),
        ("EntryGo-Signature: t=1,v1=0123456789abcdef0123456789abcdef", "0123456789abcdef0123"),
        ('{"secret": "hunter2-very-secret"}', "hunter2-very-secret"),
        ("smtp password=correct-horse", "correct-horse"),
    ],
)
def test_secret_shaped_text_is_replaced(text: str, secret: str) -> None:
    assert secret not in redact(text)
    entry = json.loads(JsonFormatter("worker").format(_record("%s", text)))
    assert secret not in json.dumps(entry)


def test_an_exception_is_kept_as_text_and_redacted() -> None:
    try:
        raise RuntimeError("bad key eg_test_AbCdEfGhIjKlMnOpQrStUvWxYz012345")
    except RuntimeError:
        import sys

        record = _record("failed")
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter("api").format(record))
    assert "RuntimeError" in entry["exc"]
    assert "AbCdEfGhIjKlMnOp" not in entry["exc"]


def test_the_terminal_rendering_reads_as_one_line_per_record() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter("api"))
    with bound(request_id="r-3"):
        handler.emit(_record("GET %s %d", "/api/exports", 200))
    text = stream.getvalue()
    assert "GET /api/exports 200" in text
    assert "request_id=r-3" in text
    assert not text.lstrip().startswith("{")


def test_a_redacted_line_stays_json() -> None:
    line = JsonFormatter("api").format(_record("%s", '{"Authorization":"Bearer abc123"}'))
    entry = json.loads(line)
    assert "abc123" not in line
    assert entry["msg"].startswith('{"Authorization"')
