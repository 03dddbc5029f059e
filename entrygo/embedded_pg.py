"""The embedded PostgreSQL (pgserver) used when DATABASE_URL is not set."""

from pathlib import Path
from typing import Any

import pgserver


def start_embedded(data_dir: Path) -> Any:
    """Start (or attach to) the PostgreSQL whose data lives in `<data_dir>/pg`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(data_dir.resolve() / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]


def embedded_url(server: Any) -> str:
    """asyncpg-compatible URL of the embedded server (a unix socket in its data dir)."""
    return str(server.get_uri())
