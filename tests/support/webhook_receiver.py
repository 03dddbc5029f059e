"""A client's webhook receiver on loopback, for the outbox's tests: real HTTP, every signature
checked, an answer status the test sets (200, 503, 400, ...), and stoppable, so that its port
refuses connections until it starts again on the same port."""

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from signing import SIGNATURE_HEADER, SignatureError, verify


@dataclass
class WebhookReceiver:
    """Answers `status` to every POST; keeps the events it acknowledged (2xx), in arrival
    order, and counts every POST that reached it."""

    secret: str
    status: int = 200
    port: int = 0
    posts: int = 0
    bad_signatures: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.port, "start the receiver once to give it a port"
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> None:
        """Listen (on the same port as before, once it had one)."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening: connections to the port are refused."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    def of_export(self, export_id: str) -> list[dict[str, Any]]:
        """The acknowledged events of an export, in arrival order."""
        return [e for e in self.received if e.get("exportId") == export_id]

    def of_destinations(self) -> list[dict[str, Any]]:
        """The acknowledged destination events, in arrival order."""
        return [e for e in self.received if "destinationId" in e]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (
                    line.decode().partition(":") for line in head.split(b"\r\n")[1:] if line
                )
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.posts += 1
            status = self.status
            try:
                verify(self.secret, body, headers.get(SIGNATURE_HEADER.lower()), int(time.time()))
            except SignatureError:
                self.bad_signatures += 1
                status = 401
            event = json.loads(body)
            if 200 <= status < 300 and headers.get("entrygo-event-id") == event["eventId"]:
                self.received.append(event)
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                "content-length: 2\r\nconnection: close\r\n\r\n{}".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
