"""What every service call is given: the process's resources, and who asks under which key."""

from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from services.temporal import TemporalGate
from store.accounts import Principal


@dataclass(frozen=True)
class Runtime:
    """The process's resources: the database pool, the Temporal gate, the settings."""

    pool: Any
    temporal: TemporalGate
    settings: Settings


@dataclass(frozen=True)
class Intent:
    """One request to change something: the caller, and its idempotency key with the digest of
    the request, from which workflow and update ids are derived (same key and request, same
    id: Temporal then does the work once)."""

    principal: Principal
    key: str | None = None
    digest: bytes = b""

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    @property
    def actor(self) -> str:
        return self.principal.key_id

    @property
    def label(self) -> str | None:
        """Who the key stands for (a person's or a system's name)."""
        return self.principal.label

    def message_id(self, kind: str) -> str | None:
        """A Temporal update id for this request: same key and request → same id."""
        if self.key is None:
            return None
        return f"{kind}-{self.key}-{self.digest.hex()[:16]}"
