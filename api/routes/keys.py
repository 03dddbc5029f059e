"""API keys of the caller's account (CONTRACT §2, §6, role admin); a secret is shown once."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Admin, RuntimeDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import ApiKeyCreated, ApiKeyView, KeyCreate
from services import keys
from store.accounts import ApiKey

router = APIRouter(prefix="/api/keys", tags=["keys"])


def key_view(key: ApiKey) -> ApiKeyView:
    """The listed form of a key."""
    return ApiKeyView(
        id=key.id,
        accountId=key.account_id,
        name=key.name,
        label=key.label,
        prefix=key.prefix,
        roles=key.roles,
        createdAt=key.created_at,
        revokedAt=key.revoked_at,
    )


@router.post("", status_code=201, response_model=ApiKeyCreated, responses=error_responses(403, 409))
async def create_key(request: Request, body: KeyCreate, principal: Admin) -> Response:
    """Create a key; `key` is in this response only (a replay answers it as null)."""
    check_account_scope(principal, body.accountId)
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        key, secret = await keys.create_key(
            write.conn, principal.account_id, body.name, list(body.roles), label=body.label
        )
        view = key_view(key).model_dump()
        return await write.respond(
            201, ApiKeyCreated(**view, key=secret), replay=ApiKeyCreated(**view, key=None)
        )


@router.get("", response_model=Page[ApiKeyView], responses=error_responses(403))
async def list_keys(
    principal: Admin, rt: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[ApiKeyView]:
    """The account's keys, revoked ones included; never a secret or a hash."""
    rows = await keys.list_keys(rt, principal.account_id, cursor, limit)
    return page_of([key_view(k) for k in rows], limit)


@router.delete("/{key_id}", response_model=ApiKeyView, responses=error_responses(403))
async def revoke_key(key_id: str, principal: Admin, rt: RuntimeDep) -> ApiKeyView:
    """Revoke a key at once (revoking again changes nothing); its requests then get 401."""
    return key_view(await keys.revoke_key(rt, principal.account_id, key_id))
