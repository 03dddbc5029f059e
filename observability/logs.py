"""Structured logs: one JSON object per line, carrying what the line is about.

`bind(...)` attaches fields (request_id, account_id, export_id, workflow_id, …) to every line
logged in the current task and the tasks it starts; the trace id comes from the current
OpenTelemetry span. Before anything is written, key-, secret- and signature-shaped text is
replaced, so a careless message cannot leak one.
"""

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace

from config.settings import Settings

# one mutable dict per request or activity: a field bound deep in a call (the account, once the
# key is known) is seen by the access log line written at the end
_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("entrygo_log_context", default=None)
CONTEXT_FIELDS = ("request_id", "account_id", "export_id", "workflow_id", "activity")

# what must never reach a log: API keys, bearer tokens, webhook signatures, secrets in key=value
_SECRETS = (
    (re.compile(r"eg_(?:live|test)_[A-Za-z0-9]{8,}"), "eg_…[redacted]"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',\\]+"), r"\1[redacted]"),
    (re.compile(r"(v1=)[0-9a-fA-F]{16,}"), r"\1[redacted]"),
    (  # also inside JSON text that was itself encoded (its quotes escaped)
        re.compile(
            r"(?i)((?:secret|password|signature|authorization)(?:\\?[\"'])?\s*[:=]\s*"
            r"(?:\\?[\"'])?)[^\s\"',}\\]+"
        ),
        r"\1[redacted]",
    ),
)


def redact(text: str) -> str:
    """The text with key-, token-, signature- and secret-shaped parts replaced."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[dict[str, Any]]:
    """A fresh context for one unit of work (a request, an activity attempt), with `fields`."""
    context = {k: v for k, v in fields.items() if v is not None}
    token = _CONTEXT.set(context)
    try:
        yield context
    finally:
        _CONTEXT.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current unit of work's context (nothing outside one)."""
    context = _CONTEXT.get()
    if context is not None:
        context.update({k: v for k, v in fields.items() if v is not None})


def current(field: str) -> Any:
    """A field of the current context, or None."""
    context = _CONTEXT.get()
    return None if context is None else context.get(field)


def _trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the bound context, the trace
    id, `extra=` fields, and the exception's text."""

    _STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": self.process,
            "pid": record.process,  # which of several processes of one kind (the API's, say)
            "msg": record.getMessage(),
        }
        entry.update(_CONTEXT.get() or {})
        trace_id = _trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(JsonFormatter):
    """The same record rendered for a person at a terminal: time, level, logger, message, then
    the context as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        entry = json.loads(super().format(record))
        head = f"{entry.pop('ts')[11:23]} {entry.pop('level').upper():7} {entry.pop('logger')}"
        message, exc = entry.pop("msg"), entry.pop("exc", None)
        entry.pop("process", None)
        entry.pop("pid", None)
        tail = " ".join(f"{k}={v}" for k, v in entry.items())
        return f"{head} {message}" + (f"  [{tail}]" if tail else "") + (f"\n{exc}" if exc else "")


# libraries that speak too much at INFO
QUIET = ("pgserver", "httpx", "httpcore", "temporalio.worker._workflow_instance", "uvicorn.access")


def logging_from_settings(process: str, settings: Settings) -> None:
    """`setup_logging` as the settings ask (ENTRYGO_LOG_LEVEL, _FORMAT and _FILE)."""
    setup_logging(
        process, level=settings.log_level, fmt=settings.log_format, file=settings.log_file
    )


def setup_logging(process: str, *, level: str, fmt: str, file: Path | None = None) -> None:
    """Route every logger through the root: JSON lines (or text for `fmt="text"`) on stderr,
    and JSON lines appended to `file` when given."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(TextFormatter(process) if fmt == "text" else JsonFormatter(process))
    root.addHandler(console)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(file, encoding="utf-8")
        to_file.setFormatter(JsonFormatter(process))
        root.addHandler(to_file)
    root.setLevel(level.upper())
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # uvicorn's own handlers would print plain text beside ours
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
