"""System endpoints: health (optionally authenticated), liveness, readiness."""

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import OptionalPrincipalDep, PoolDep, TemporalDep
from config import __version__
from domain.wire import WireModel
from store.health import database_ok

router = APIRouter(prefix="/api/system", tags=["system"])

PROTOCOL_VERSION = "EntryGo Export Protocol v1"
DATABASE_PROBE_SECONDS = 2.0


class AccountRef(BaseModel):
    """The account of the key that called."""

    id: str
    name: str


class HealthChecks(BaseModel):
    """Each dependency: ok or down."""

    database: Literal["ok", "down"]
    temporal: Literal["ok", "down"]


class Health(WireModel):
    """The health answer."""

    status: Literal["ok", "degraded"]
    protocol_version: str
    version: str
    checks: HealthChecks
    account: AccountRef | None = None


class Live(BaseModel):
    """The process is up."""

    status: Literal["ok"]


async def _checks(pool: PoolDep, temporal: TemporalDep) -> HealthChecks:
    db, tmp = await asyncio.gather(database_ok(pool, DATABASE_PROBE_SECONDS), temporal.healthy())
    return HealthChecks(database="ok" if db else "down", temporal="ok" if tmp else "down")


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def get_health(
    principal: OptionalPrincipalDep, pool: PoolDep, temporal: TemporalDep
) -> JSONResponse:
    """Health of the service and its dependencies; with a key, also the key's account."""
    checks = await _checks(pool, temporal)
    ok = checks.database == "ok" and checks.temporal == "ok"
    body = Health(
        status="ok" if ok else "degraded",
        protocol_version=PROTOCOL_VERSION,
        version=__version__,
        checks=checks,
        account=AccountRef(id=principal.account_id, name=principal.account_name)
        if principal
        else None,
    )
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), 200 if ok else 503)


@router.get("/live", response_model=Live)
async def get_live() -> Live:
    """The process is up (no dependency checked)."""
    return Live(status="ok")


@router.get("/ready", response_model=Health, responses={503: {"model": Health}})
async def get_ready(pool: PoolDep, temporal: TemporalDep) -> JSONResponse:
    """Ready to serve: database and workflow engine reachable."""
    checks = await _checks(pool, temporal)
    ok = checks.database == "ok" and checks.temporal == "ok"
    body = Health(
        status="ok" if ok else "degraded",
        protocol_version=PROTOCOL_VERSION,
        version=__version__,
        checks=checks,
    )
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), 200 if ok else 503)
