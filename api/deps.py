"""Typed dependencies: the lifespan's pool, settings and Temporal gate; the caller and its roles.

The caller is authenticated here, as a FastAPI security dependency: `Authorization: Bearer <key>`
is read by `BEARER` (which is also what puts the `bearer` scheme on each operation of the OpenAPI
document), checked against the store over one pooled connection, and counted by the per-account
rate limiter. A route names what it needs (`Integration`, `Reviewer`, `Admin`, `AnyRole`,
`PrincipalDep`, or `OptionalPrincipalDep` where a key is optional); a route that names none is
public. FastAPI runs dependencies before it validates the query and the body, so a caller without
a valid key (401), within its rate (429) and role (403) learns nothing about them. Two answers
come earlier, from FastAPI itself: routing (404, 405) and a body that is not JSON at all (400).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.idempotency import UnitOfWork
from api.ratelimit import RateLimiter
from config.settings import Settings
from observability.logs import bind
from services.context import Context, Intent, Runtime
from services.temporal import TemporalGate
from store.accounts import Principal, authenticate
from store.db import Pool

BEARER_SCHEME = "bearer"
# auto_error=False: a missing or malformed header is answered below, in the contract's body.
BEARER = HTTPBearer(scheme_name=BEARER_SCHEME, description="eg_live_… API key", auto_error=False)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def _pool(request: Request) -> Pool:
    return request.app.state.pool  # type: ignore[no-any-return]


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _temporal(request: Request) -> TemporalGate:
    return request.app.state.temporal  # type: ignore[no-any-return]


def _limiter(request: Request) -> RateLimiter | None:
    return getattr(request.app.state, "limiter", None)


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The principal of the bearer key; 401 without one or for a wrong one; 429 over the rate."""
    if credentials is None:  # no header, another scheme, or an empty key
        raise ApiError(401, "INVALID_API_KEY", "Missing API key.")
    limiter = _limiter(request)
    counted = None
    async with _pool(request).acquire() as conn:
        if limiter is None:
            principal = await authenticate(conn, credentials.credentials)
        else:  # the request is counted by the statement that reads its key
            found = await limiter.read_key(conn, credentials.credentials)
            principal, counted = found if found is not None else (None, None)
    if principal is None:  # unknown or revoked
        raise ApiError(401, "INVALID_API_KEY", "Invalid API key.")
    # every later log line of the request says whose it is and which export it is about
    bind(account_id=principal.account_id, export_id=request.path_params.get("export_id"))
    if limiter is not None and counted is not None:
        limiter.admit(counted)
    return principal


async def _principal(request: Request, credentials: BearerDep) -> Principal:
    return await _authenticate(request, credentials)


async def _optional_principal(request: Request, credentials: BearerDep) -> Principal | None:
    """None without an `Authorization` header; any header sent is checked like a required key."""
    if request.headers.get("authorization") is None:
        return None
    return await _authenticate(request, credentials)


PoolDep = Annotated[Pool, Depends(_pool)]
SettingsDep = Annotated[Settings, Depends(_settings)]
TemporalDep = Annotated[TemporalGate, Depends(_temporal)]


def _runtime(request: Request) -> Runtime:
    state = request.app.state
    return Runtime(state.pool, state.temporal, state.settings, getattr(state, "signals", None))


# what the services are handed: the pool, the Temporal gate and the settings
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
PrincipalDep = Annotated[Principal, Depends(_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(_optional_principal)]


def require_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through a caller holding any of `roles`."""

    # async, as the context and unit-of-work builders below: FastAPI runs a plain `def`
    # dependency in a worker thread, two thread hand-overs per request for checks without I/O
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.roles.intersection(roles):
            raise ApiError(
                403,
                "INSUFFICIENT_ROLE",
                f"This action needs the {roles[0]} role.",
                details={"requiredRole": roles[0], "acceptedRoles": list(roles)},
            )
        return principal

    return check


# one function per role, so that a route naming the caller and a context (or a unit of work)
# authenticates once: FastAPI runs a dependency once per request
_INTEGRATION = require_role("integration")
_REVIEWER = require_role("reviewer")
_ADMIN = require_role("admin")
_ANY_ROLE = require_role("integration", "reviewer", "admin")

Integration = Annotated[Principal, Depends(_INTEGRATION)]
Reviewer = Annotated[Principal, Depends(_REVIEWER)]
Admin = Annotated[Principal, Depends(_ADMIN)]
AnyRole = Annotated[Principal, Depends(_ANY_ROLE)]


def _context_of(role: Callable[..., Awaitable[Principal]]) -> Callable[..., Awaitable[Context]]:
    async def build(request: Request, principal: Annotated[Principal, Depends(role)]) -> Context:
        return Context(_runtime(request), Intent(principal))

    return build


def _unit_of_work_of(
    role: Callable[..., Awaitable[Principal]],
) -> Callable[..., Awaitable[UnitOfWork]]:
    async def build(request: Request, principal: Annotated[Principal, Depends(role)]) -> UnitOfWork:
        return UnitOfWork(request, _runtime(request), principal)

    return build


# what a reading route hands its use case: the runtime and the caller of that role
AdminCall = Annotated[Context, Depends(_context_of(_ADMIN))]
AnyRoleCall = Annotated[Context, Depends(_context_of(_ANY_ROLE))]
# what a writing route runs its use case through (api/idempotency.py)
AdminWrite = Annotated[UnitOfWork, Depends(_unit_of_work_of(_ADMIN))]
IntegrationWrite = Annotated[UnitOfWork, Depends(_unit_of_work_of(_INTEGRATION))]
ReviewerWrite = Annotated[UnitOfWork, Depends(_unit_of_work_of(_REVIEWER))]


def check_account_scope(principal: Principal, account_id: str | None) -> None:
    """403 INVALID_ACCOUNT_SCOPE when a body names another account."""
    if account_id is not None and account_id != principal.account_id:
        raise ApiError(
            403,
            "INVALID_ACCOUNT_SCOPE",
            "accountId does not match the API key's account.",
            field="accountId",
        )
