"""Accounts and API keys."""

from dataclasses import dataclass
from datetime import datetime

from store.db import Connection, Queries, Row, one
from store.errors import NotFound
from store.ids import new_id
from store.keys import display_prefix, generate_key, hash_key


@dataclass(frozen=True)
class Principal:
    """The caller a valid key stands for; `label` is the key's label (a person's or a system's
    name, the key's name when none was given), None where no key is known."""

    account_id: str
    account_name: str
    key_id: str
    roles: frozenset[str]
    label: str | None = None


@dataclass(frozen=True)
class ApiKey:
    """A key as listed (never its secret)."""

    id: str
    account_id: str
    name: str
    prefix: str
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None
    label: str = ""


@dataclass(frozen=True)
class ReviewWebhook:
    """Where an account is told of an overdue review, and the secret its requests are signed
    with (None: sent unsigned)."""

    url: str
    secret: str | None


def _key_from_row(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        prefix=row["key_prefix"],
        roles=list(row["roles"]),
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        label=row["label"] or row["name"],
    )


async def create_account(conn: Connection, name: str, account_id: str | None = None) -> str:
    """Create an account; returns its id."""
    account_id = account_id or new_id("acc")
    await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, $2)", account_id, name)
    return account_id


async def account_exists(conn: Queries, account_id: str) -> bool:
    """True when the account exists."""
    return bool(await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id))


async def create_key(
    conn: Connection,
    account_id: str,
    name: str,
    roles: list[str],
    *,
    secret: str | None = None,
    label: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret (shown once, stored only as a hash). The label
    is who the key stands for; without one it is the key's name."""
    if not await account_exists(conn, account_id):
        raise NotFound("account")
    secret = secret or generate_key()
    row = await conn.fetchrow(
        """INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix, roles, label)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        new_id("key"),
        account_id,
        name,
        hash_key(secret),
        display_prefix(secret),
        sorted(set(roles)),
        label or name,
    )
    return _key_from_row(one(row)), secret


async def list_keys(
    conn: Queries, account_id: str, *, after: str | None = None, limit: int | None = None
) -> list[ApiKey]:
    """The account's keys, revoked ones included; a page after `after` when `limit` is given."""
    rows = await conn.fetch(
        """SELECT * FROM api_keys WHERE account_id = $1 AND ($2::text IS NULL OR id > $2)
           ORDER BY id LIMIT $3""",
        account_id,
        after,
        limit,
    )
    return [_key_from_row(r) for r in rows]


async def revoke_key(conn: Connection, key_id: str, account_id: str | None = None) -> ApiKey:
    """Revoke a key (idempotent); `account_id` scopes the lookup when given."""
    row = await conn.fetchrow(
        """UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
           WHERE id = $1 AND ($2::text IS NULL OR account_id = $2) RETURNING *""",
        key_id,
        account_id,
    )
    if row is None:
        raise NotFound("apiKey")
    return _key_from_row(row)


# the valid, unrevoked key whose hash is $1, with what its principal needs (store/ratelimit.py
# reads it with this text in the statement that also counts the request)
KEY_BY_HASH = """SELECT k.id, k.account_id, k.roles, coalesce(k.label, k.name) AS label,
       a.name AS account_name
FROM api_keys k JOIN accounts a ON a.id = k.account_id
WHERE k.key_hash = $1 AND k.revoked_at IS NULL"""


async def authenticate(conn: Queries, secret: str) -> Principal | None:
    """The principal of a valid, unrevoked key, else None."""
    row = await conn.fetchrow(KEY_BY_HASH, hash_key(secret))
    return None if row is None else principal_of(row)


def principal_of(row: Row) -> Principal:
    """The principal of a row that reads a key as `authenticate` does."""
    return Principal(
        account_id=row["account_id"],
        account_name=row["account_name"],
        key_id=row["id"],
        roles=frozenset(row["roles"]),
        label=row["label"],
    )


async def set_review_webhook(
    conn: Connection, account_id: str, url: str | None, secret: str | None
) -> None:
    """Set (or with `url` None, clear) the account's review webhook."""
    done = await conn.execute(
        """UPDATE accounts SET review_webhook_url = $2, review_webhook_secret = $3
           WHERE id = $1""",
        account_id,
        url,
        secret if url is not None else None,
    )
    if done == "UPDATE 0":
        raise NotFound("account")


async def review_webhook(conn: Queries, account_id: str) -> ReviewWebhook | None:
    """The account's review webhook, if one is set."""
    row = await conn.fetchrow(
        "SELECT review_webhook_url, review_webhook_secret FROM accounts WHERE id = $1",
        account_id,
    )
    if row is None or row["review_webhook_url"] is None:
        return None
    return ReviewWebhook(row["review_webhook_url"], row["review_webhook_secret"])


# any constant works; it only has to differ from the migration lock (store/migrate.py)
_FIRST_ACCOUNT_LOCK = 0x456E747279426F


async def first_account_locked(conn: Connection) -> str | None:
    """The installation's first account, with a transaction-scoped lock held so that concurrent
    first starts create one account between them (call inside a transaction)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _FIRST_ACCOUNT_LOCK)
    found = await conn.fetchval("SELECT id FROM accounts ORDER BY created_at, id LIMIT 1")
    return None if found is None else str(found)
