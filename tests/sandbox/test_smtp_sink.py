"""The SMTP sink keeps what aiosmtplib sends, on disk and in memory, across processes."""

import asyncio
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from sandbox.smtp_sink import SmtpSink, read_maildir
from tests.support.sandbox_servers import eventually, free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INVOICE = b'{"invoice": "INV-1", "total": 12.5}'


def broker_email(message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "exports@entrygo.test"
    message["To"] = "filings@broker.test"
    message["Subject"] = "Customs package PKG-0001"
    message["Message-ID"] = message_id
    message.set_content("Customs package attached.")
    message.add_attachment(
        INVOICE,
        maintype="application",
        subtype="json",
        filename="commercial_customs_invoice.json",
    )
    return message


def attachment_bytes(message: EmailMessage) -> bytes:
    (part,) = list(message.iter_attachments())
    assert part.get_filename() == "commercial_customs_invoice.json"
    content = part.get_content()
    assert isinstance(content, bytes)
    return content


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    running = SmtpSink("127.0.0.1", 0, tmp_path / "mail")
    await asyncio.to_thread(running.start)
    yield running
    await asyncio.to_thread(running.stop)


async def test_sink_keeps_message_with_attachment(sink: SmtpSink) -> None:
    message = broker_email("<bsub_1.cp_1@entrygo.test>")
    await aiosmtplib.send(
        message,
        hostname=sink.host,
        port=sink.port,
        recipients=["filings@broker.test", "audit@broker.test"],
    )
    (path,) = sorted(sink.maildir.glob("*.eml"))
    assert path.name == "000001-bsub_1.cp_1@entrygo.test.eml"
    (kept,) = sink.messages()
    assert kept["Message-ID"] == "<bsub_1.cp_1@entrygo.test>"
    assert kept["Subject"] == "Customs package PKG-0001"
    assert kept["X-RcptTo"] == "filings@broker.test, audit@broker.test"
    assert attachment_bytes(kept) == INVOICE
    (received,) = sink.received()
    assert received.path == path
    assert received.mail_from == "exports@entrygo.test"
    assert received.rcpt_tos == ("filings@broker.test", "audit@broker.test")


async def test_numbering_continues_after_a_restart(tmp_path: Path) -> None:
    maildir = tmp_path / "mail"
    for run, message_id in enumerate(["<first@x>", "<odd+id/x=y@host.test>"]):
        running = SmtpSink("127.0.0.1", 0, maildir)
        await asyncio.to_thread(running.start)
        try:
            await aiosmtplib.send(broker_email(message_id), hostname="127.0.0.1", port=running.port)
            assert len(running.received()) == 1, f"run {run}"
        finally:
            await asyncio.to_thread(running.stop)
    names = sorted(path.name for path in maildir.glob("*.eml"))
    assert names == ["000001-first@x.eml", "000002-odd+id_x_y@host.test.eml"]
    assert [m["Message-ID"] for m in read_maildir(maildir)] == [
        "<first@x>",
        "<odd+id/x=y@host.test>",
    ]


async def test_message_without_id_is_kept(sink: SmtpSink) -> None:
    message = broker_email("<unused@x>")
    del message["Message-ID"]
    await aiosmtplib.send(message, hostname=sink.host, port=sink.port)
    (path,) = sink.maildir.glob("*.eml")
    assert path.name == "000001-no-message-id.eml"


async def test_module_entry_point_keeps_mail_for_other_processes(tmp_path: Path) -> None:
    port = free_port()
    maildir = tmp_path / "mail"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox.smtp_sink",
        "--port",
        str(port),
        "--maildir",
        str(maildir),
        cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = (await process.stdout.readline()).decode()
        assert f"127.0.0.1:{port}" in banner
        await aiosmtplib.send(broker_email("<cli@x>"), hostname="127.0.0.1", port=port)
        await eventually(lambda: len(read_maildir(maildir)) == 1, "message on disk")
        assert attachment_bytes(read_maildir(maildir)[0]) == INVOICE
    finally:
        process.terminate()
        await process.wait()
    assert process.returncode == 0
