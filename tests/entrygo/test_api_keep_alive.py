"""`entrygo api` keeps an idle connection open longer than clients keep theirs: httpx drops a
pooled connection after 5 s idle, which was also the server's limit, so a client could send on a
connection the server was closing and get a ReadError with no answer."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.polling import eventually
from tests.support.stack import start_api, stop_processes

IDLE_SECONDS = 6.0  # past httpx's keep-alive expiry (5 s) and the server's old limit (5 s)
REQUEST = b"GET /api/system/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[int]:
    """One `entrygo api` process on the session database; yields its port."""
    process, port = start_api(database_url, tmp_path / "api.log")
    try:
        yield port
    finally:
        stop_processes([process])


async def answer(reader: asyncio.StreamReader) -> bytes:
    """One response's status line (its headers and body read off the stream)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head.split(b"\r\n", 1)[0]


async def test_an_idle_connection_outlives_a_clients_keep_alive(api: int) -> None:
    async def up() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", api)
        except OSError:
            return False
        writer.close()
        return True

    await eventually(up, attempts=600)
    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    try:
        writer.write(REQUEST)
        assert await answer(reader) == b"HTTP/1.1 200 OK"
        await asyncio.sleep(IDLE_SECONDS)  # idle, as a client's pooled connection between calls
        writer.write(REQUEST)
        assert await answer(reader) == b"HTTP/1.1 200 OK"  # the same connection still answers
    finally:
        writer.close()
