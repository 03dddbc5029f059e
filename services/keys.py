"""API keys of an account (CONTRACT §2, §6): created with a secret shown once, listed, revoked."""

from services.context import Context
from services.models.reference import ApiKeyCreated, ApiKeyView, KeyCreate
from services.pages import PageRequest
from store import accounts
from store.accounts import ApiKey


def key_view(key: ApiKey) -> ApiKeyView:
    """The listed form of a key: never its secret nor its hash."""
    return ApiKeyView(
        id=key.id,
        account_id=key.account_id,
        name=key.name,
        label=key.label,
        prefix=key.prefix,
        roles=key.roles,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


async def create_key(ctx: Context, body: KeyCreate) -> ApiKeyCreated:
    """A new key with its secret (shown in this answer only); `label` (who the key stands for)
    defaults to the name."""
    async with ctx.transaction() as conn:
        key, secret = await accounts.create_key(
            conn, ctx.account_id, body.name, list(body.roles), label=body.label
        )
    return ApiKeyCreated(**key_view(key).model_dump(), key=secret)


async def list_keys(ctx: Context, page: PageRequest | None) -> list[ApiKeyView]:
    """The account's keys, revoked ones included (every key without a page)."""
    after, limit = PageRequest.bounds(page)
    async with ctx.connect() as conn:
        rows = await accounts.list_keys(conn, ctx.account_id, after=after, limit=limit)
    return [key_view(k) for k in rows]


async def revoke_key(ctx: Context, key_id: str) -> ApiKeyView:
    """Revoke a key at once (revoking again changes nothing)."""
    async with ctx.connect() as conn:
        return key_view(await accounts.revoke_key(conn, key_id, ctx.account_id))
