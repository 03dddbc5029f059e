"""API keys of the caller's account (CONTRACT §2, §6, role admin); a secret is shown once."""

from fastapi import APIRouter

from api.deps import AdminCall, AdminWrite, check_account_scope
from api.idempotency import Answer, Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import ApiKeyCreated, ApiKeyView, KeyCreate
from services import keys
from services.pages import PageRequest

router = APIRouter(prefix="/api/keys", tags=["keys"])


def _shown_once(created: ApiKeyCreated) -> Answer[ApiKeyCreated]:
    # a replay answers the key without its secret
    return Answer(created, replay=created.model_copy(update={"key": None}))


@router.post("", status_code=201, response_model=ApiKeyCreated, responses=error_responses(403, 409))
async def create_key(body: KeyCreate, write: AdminWrite) -> Sent[ApiKeyCreated]:
    """Create a key; `key` is in this response only (a replay answers it as null)."""
    check_account_scope(write.principal, body.account_id)
    return await write.in_transaction(body, lambda ctx: keys.create_key(ctx, body), _shown_once)


@router.get("", response_model=Page[ApiKeyView], responses=error_responses(403))
async def list_keys(ctx: AdminCall, cursor: Cursor = None, limit: Limit = 50) -> Page[ApiKeyView]:
    """The account's keys, revoked ones included; never a secret or a hash."""
    return page_of(await keys.list_keys(ctx, PageRequest(cursor, limit)), limit)


@router.delete("/{key_id}", response_model=ApiKeyView, responses=error_responses(403))
async def revoke_key(key_id: str, ctx: AdminCall) -> ApiKeyView:
    """Revoke a key at once (revoking again changes nothing); its requests then get 401."""
    return await keys.revoke_key(ctx, key_id)
