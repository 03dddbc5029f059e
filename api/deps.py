"""Typed dependencies: the lifespan's pool, settings and Temporal gate; the caller and its roles."""

from collections.abc import Callable
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request

from api.errors import ApiError
from api.temporal_gate import TemporalGate
from config.settings import Settings
from store.accounts import Principal


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.pool  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _temporal(request: Request) -> TemporalGate:
    return request.app.state.temporal  # type: ignore[no-any-return]


def _principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:  # the gateway authenticates every /api route that needs a key
        raise ApiError(401, "INVALID_API_KEY", "Missing API key.")
    return principal  # type: ignore[no-any-return]


PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
SettingsDep = Annotated[Settings, Depends(_settings)]
TemporalDep = Annotated[TemporalGate, Depends(_temporal)]
PrincipalDep = Annotated[Principal, Depends(_principal)]


def require_role(*roles: str) -> Callable[..., Any]:
    """A dependency that lets through a caller holding any of `roles`."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.roles.intersection(roles):
            raise ApiError(
                403,
                "INSUFFICIENT_ROLE",
                f"This action needs the {roles[0]} role.",
                details={"requiredRole": roles[0], "acceptedRoles": list(roles)},
            )
        return principal

    return check


Integration = Annotated[Principal, Depends(require_role("integration"))]
Reviewer = Annotated[Principal, Depends(require_role("reviewer"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
AnyRole = Annotated[Principal, Depends(require_role("integration", "reviewer", "admin"))]


def check_account_scope(principal: Principal, account_id: str | None) -> None:
    """403 INVALID_ACCOUNT_SCOPE when a body names another account."""
    if account_id is not None and account_id != principal.account_id:
        raise ApiError(
            403,
            "INVALID_ACCOUNT_SCOPE",
            "accountId does not match the API key's account.",
            field="accountId",
        )
