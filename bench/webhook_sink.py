"""A client's webhook receiver for `make load`, in a process of its own (as a client's real
receiver is its own server): records each event's first arrival and its lag behind the event.

`python -m bench.webhook_sink --port P --out FILE` serves `POST /hooks` on loopback until
SIGTERM; as it shuts down it writes one line per first arrival to FILE (`write_arrivals`). The
lag is this process's `time.time()` at arrival minus the event's `createdAt`; the arrival's
monotonic clock is the machine's, so the bench compares it with its own measured window.
"""

import argparse
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def receiver(out: Path) -> Starlette:
    """The app: each first arrival of an event id is kept with its monotonic time and its lag,
    and written to `out` when the server shuts down."""
    arrivals: dict[str, tuple[float, float]] = {}

    async def receive(request: Request) -> Response:
        event = json.loads(await request.body())
        if event["eventId"] not in arrivals:
            created = datetime.fromisoformat(event["createdAt"].replace("Z", "+00:00"))
            arrivals[event["eventId"]] = (time.monotonic(), time.time() - created.timestamp())
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # uvicorn ends the process by the signal it stopped on once it has shut down: the
        # arrivals are written here, before that
        yield
        write_arrivals(out, arrivals)

    return Starlette(routes=[Route("/hooks", receive, methods=["POST"])], lifespan=lifespan)


def write_arrivals(out: Path, arrivals: dict[str, tuple[float, float]]) -> None:
    """One line per first arrival: `<eventId> <arrival, monotonic> <lag s>`."""
    out.write_text("".join(f"{key} {at:.6f} {lag:.6f}\n" for key, (at, lag) in arrivals.items()))


def read_arrivals(path: Path) -> dict[str, tuple[float, float]]:
    """The sink's file: (arrival, lag) per first arrival, by event id."""
    found = {}
    for line in path.read_text().splitlines():
        key, at, lag = line.split()
        found[key] = (float(at), float(lag))
    return found


def main() -> None:
    """Serve until SIGTERM, then write the arrivals."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    uvicorn.run(receiver(args.out), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
