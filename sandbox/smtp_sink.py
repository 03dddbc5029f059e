"""An SMTP sink that keeps every message it receives, in memory and as `.eml` files.

`python -m sandbox.smtp_sink --port 8025 --maildir .entrygo/mail` runs one; `read_maildir`
reads what any sink (this process's or another's) has kept.
"""

import argparse
import os
import re
import signal
import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
_NUMBERED = re.compile(r"(\d+)-")
MAX_ID_LENGTH = 120


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as it arrived: the envelope and the bytes written to disk."""

    path: Path
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes


def _message_id(content: bytes) -> str:
    # compat32 keeps the header text as sent, even when it is not a valid msg-id.
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(content)
    raw = str(headers.get("Message-ID", "") or "").strip().strip("<>")
    safe = _UNSAFE.sub("_", raw)[:MAX_ID_LENGTH].strip("._")
    return safe or "no-message-id"


def _next_number(maildir: Path) -> int:
    numbers = [
        int(match.group(1))
        for path in maildir.glob("*.eml")
        if (match := _NUMBERED.match(path.name))
    ]
    return max(numbers, default=0) + 1


def read_maildir(path: Path) -> list[EmailMessage]:
    """Every message kept in `path`, oldest first."""
    files = sorted(path.glob("*.eml"), key=lambda p: (len(p.name.split("-", 1)[0]), p.name))
    return [message_from_bytes(file.read_bytes(), policy=policy.default) for file in files]


class _KeepHandler:
    """aiosmtpd handler: stores each message, with trace headers, under the sink's maildir."""

    def __init__(self, sink: "SmtpSink") -> None:
        self._sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        # The same trace headers aiosmtpd's own Message handler adds, so Bcc recipients show.
        trace = (
            f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        content = trace + bytes(envelope.original_content or envelope.content)
        self._sink.keep(str(envelope.mail_from), tuple(envelope.rcpt_tos), content)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A local SMTP server (aiosmtpd, in its own thread) that never delivers and never forgets."""

    def __init__(self, host: str, port: int, maildir: Path) -> None:
        self.host = host
        self.port = port
        self.maildir = maildir
        self._lock = threading.Lock()
        self._received: list[ReceivedMessage] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen; port 0 picks a free port (read it back from `self.port`)."""
        self.maildir.mkdir(parents=True, exist_ok=True)
        if self.port == 0:
            # aiosmtpd's readiness probe needs the real port before it binds.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((self.host, 0))
                self.port = probe.getsockname()[1]
        self._controller = Controller(_KeepHandler(self), hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; kept messages stay on disk."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keep(self, mail_from: str, rcpt_tos: tuple[str, ...], content: bytes) -> Path:
        """Write one message to the maildir (atomically) and remember it."""
        with self._lock:
            number = _next_number(self.maildir)
            path = self.maildir / f"{number:06d}-{_message_id(content)}.eml"
            partial = self.maildir / f".{path.name}.partial"
            partial.write_bytes(content)
            os.replace(partial, path)
            self._received.append(ReceivedMessage(path, mail_from, rcpt_tos, content))
        return path

    def received(self) -> list[ReceivedMessage]:
        """Messages received by this sink since it was created, with their envelopes."""
        with self._lock:
            return list(self._received)

    def messages(self) -> list[EmailMessage]:
        """Every message in the maildir (including earlier runs), parsed, oldest first."""
        return read_maildir(self.maildir)


def main(argv: list[str] | None = None) -> None:
    """`python -m sandbox.smtp_sink --port 8025 --maildir DIR`"""
    parser = argparse.ArgumentParser(prog="python -m sandbox.smtp_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    sink = SmtpSink(args.host, args.port, args.maildir)
    sink.start()
    print(
        f"SMTP sink listening on {sink.host}:{sink.port}, keeping mail in {sink.maildir}",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
