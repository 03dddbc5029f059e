"""The Temporal dev server of `make run` (entrygo/dev.py `temporal_dev_command`): the real binary
comes up with our SQLite settings, and its file keeps a write-ahead log."""

import asyncio
import socket
import sqlite3
import time
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from entrygo.dev import temporal_dev_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_the_dev_servers_file_keeps_a_write_ahead_log(tmp_path: Path) -> None:
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        *temporal_dev_command(tmp_path, port, free_port()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = await Client.connect(f"127.0.0.1:{port}")
                break
            except RuntimeError:
                assert server.returncode is None, "the dev server exited"
                assert time.monotonic() < deadline, "the dev server did not come up"
                await asyncio.sleep(0.2)
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
        assert (tmp_path / "temporal.db-wal").exists()  # the server writes through its log
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), 30)
    with sqlite3.connect(tmp_path / "temporal.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file
