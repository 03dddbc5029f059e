"""Which exceptions mean "a dependency is down" (503) rather than a bug (500)."""

from temporalio.service import RPCError, RPCStatusCode

from store.errors import is_database_down

_TEMPORAL_DOWN = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}


def unavailable_dependency(exc: BaseException) -> str | None:
    """'database' or 'workflow engine' when `exc` says that dependency is unreachable."""
    if isinstance(exc, RPCError):
        return "workflow engine" if exc.status in _TEMPORAL_DOWN else None
    if is_database_down(exc):
        return "database"
    return None
