"""Errors `store/` raises; the API maps them to the contract once (api/errors.py)."""

import asyncpg

# PostgreSQL cannot store U+0000 in text or jsonb (nor text the database encoding lacks).
_UNSTORABLE_TEXT = (
    asyncpg.exceptions.CharacterNotInRepertoireError,
    asyncpg.exceptions.UntranslatableCharacterError,
)


class StoreError(Exception):
    """Base of every store error."""


class NotFound(StoreError):
    """The row does not exist in the caller's account."""

    def __init__(self, resource: str) -> None:
        super().__init__(resource)
        self.resource = resource


def is_unstorable_text(exc: BaseException) -> bool:
    """True when the database refused a text value it cannot store (a NUL character): whatever
    field carried it, the client sent it."""
    return isinstance(exc, _UNSTORABLE_TEXT)


_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # asyncpg's own state machine breaks when the server drops a connection mid-operation
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionFailureError,
    ConnectionError,
    OSError,
    TimeoutError,
)


def is_database_down(exc: BaseException) -> bool:
    """True when `exc` says the database is unreachable (a dependency down, not a bug)."""
    return isinstance(exc, _DATABASE_DOWN)
