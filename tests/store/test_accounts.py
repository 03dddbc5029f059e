"""store.accounts: keys stored as hashes, authentication, revocation, listing."""

import asyncpg
import pytest

from store.accounts import authenticate, create_account, create_key, list_keys, revoke_key
from store.errors import NotFound
from store.keys import hash_key


async def test_key_lifecycle(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        account_id = await create_account(conn, "store-accounts")
        key, secret = await create_key(conn, account_id, "ci", ["reviewer", "admin", "admin"])
        assert key.roles == ["admin", "reviewer"]
        stored = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", key.id)
        assert stored["key_hash"] == hash_key(secret)
        assert secret not in str(dict(stored))

        principal = await authenticate(conn, secret)
        assert principal is not None
        assert (principal.account_id, principal.key_id) == (account_id, key.id)
        assert principal.roles == {"admin", "reviewer"}

        revoked = await revoke_key(conn, key.id, account_id)
        assert revoked.revoked_at is not None
        assert await authenticate(conn, secret) is None
        again = await revoke_key(conn, key.id, account_id)
        assert again.revoked_at == revoked.revoked_at


async def test_revoke_is_scoped_to_the_account(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        mine = await create_account(conn, "a")
        theirs = await create_account(conn, "b")
        key, secret = await create_key(conn, theirs, "theirs", ["integration"])
        with pytest.raises(NotFound) as raised:
            await revoke_key(conn, key.id, mine)
        assert raised.value.resource == "apiKey"
        assert await authenticate(conn, secret) is not None


async def test_list_keys_pages(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        account_id = await create_account(conn, "c")
        made = [(await create_key(conn, account_id, f"k{i}", ["admin"]))[0] for i in range(3)]
        made.sort(key=lambda k: k.id)
        assert await list_keys(conn, account_id) == made
        first = await list_keys(conn, account_id, limit=2)
        assert first == made[:2]
        assert await list_keys(conn, account_id, after=first[-1].id, limit=2) == made[2:]


async def test_key_for_a_missing_account(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(NotFound):
            await create_key(conn, "acc_missing", "k", ["admin"])
