"""What the operator of an installation does outside any account: create an account, revoke a
key by its id alone. The CLI's commands; no HTTP route reaches them, so they are handed the
runtime rather than a caller's `Context`."""

from services.context import Runtime
from services.keys import key_view
from services.models.reference import ApiKeyView
from store import accounts


async def create_account(rt: Runtime, name: str) -> str:
    """A new account; returns its id."""
    async with rt.pool.acquire() as conn, conn.transaction():
        return await accounts.create_account(conn, name)


async def revoke_key(rt: Runtime, key_id: str) -> ApiKeyView:
    """Revoke a key of any account at once (revoking again changes nothing)."""
    async with rt.pool.acquire() as conn, conn.transaction():
        return key_view(await accounts.revoke_key(conn, key_id))
