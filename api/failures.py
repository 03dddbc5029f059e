"""Which exceptions mean "a dependency is down" (503) rather than a bug (500)."""

import asyncpg
from temporalio.service import RPCError, RPCStatusCode

_DB_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # asyncpg's own state machine breaks when the server drops a connection mid-operation
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.ConnectionFailureError,
    ConnectionError,
    OSError,
)

_TEMPORAL_DOWN = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}


def unavailable_dependency(exc: BaseException) -> str | None:
    """'database' or 'workflow engine' when `exc` says that dependency is unreachable."""
    if isinstance(exc, RPCError):
        return "workflow engine" if exc.status in _TEMPORAL_DOWN else None
    if isinstance(exc, _DB_ERRORS):
        return "database"
    if isinstance(exc, TimeoutError):
        return "database"
    return None
