"""API keys of an account (CONTRACT §2, §6): created with a secret shown once, listed, revoked."""

from typing import Any

from services.context import Runtime
from store import accounts
from store.accounts import ApiKey


async def create_key(
    conn: Any, account_id: str, name: str, roles: list[str], *, label: str | None = None
) -> tuple[ApiKey, str]:
    """A new key and its secret, on the request's transaction; `label` (who the key stands
    for) defaults to the name."""
    return await accounts.create_key(conn, account_id, name, roles, label=label)


async def list_keys(rt: Runtime, account_id: str, after: str | None, limit: int) -> list[ApiKey]:
    """The account's keys, revoked ones included."""
    async with rt.pool.acquire() as conn:
        return await accounts.list_keys(conn, account_id, after=after, limit=limit)


async def revoke_key(rt: Runtime, account_id: str, key_id: str) -> ApiKey:
    """Revoke a key at once (revoking again changes nothing)."""
    async with rt.pool.acquire() as conn:
        return await accounts.revoke_key(conn, key_id, account_id)
