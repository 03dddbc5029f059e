"""A real HTTP server on 127.0.0.1 that answers from a script or a function, recording every
request it received (method, path, headers, body). No mocking of httpx: the SDK talks to it
over a socket."""

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DROP = "drop"  # read the request, then close the connection without an answer
Answer = tuple[int, Any, dict[str, str]] | str
Route = Callable[[str, str, Any], Answer]


class Loopback:
    """Answers each request with the next scripted answer (or `route(method, path, body)`)."""

    def __init__(self, script: list[Answer] | None = None, route: Route | None = None) -> None:
        self.script = list(script or [])
        self.route = route
        self.seen: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with outer.lock:
                    outer.seen.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "key": self.headers.get("idempotency-key"),
                            "auth": self.headers.get("authorization"),
                            "body": body,
                        }
                    )
                    if outer.route is not None:
                        step = outer.route(self.command, self.path, body)
                    else:
                        step = outer.script.pop(0) if outer.script else (200, {"ok": True}, {})
                if step == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                assert not isinstance(step, str)
                status, payload, headers = step
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("x-request-id", "req-123")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def keys(self) -> list[str | None]:
        return [s["key"] for s in self.seen]


def error(status: int, code: str, **extra: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The contract's error answer."""
    headers = extra.pop("headers", {})
    return status, {"errorCode": code, "message": f"{code} happened", **extra}, headers


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sleeps(list[float]):
    """Records each sleep instead of sleeping; usable as the sync and the async sleep."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)
