"""What the operator of an installation does outside any account: create an account, revoke a
key by its id alone, import the restricted-party list planning screens against. The CLI's
commands; no HTTP route reaches them, so they are handed the runtime rather than a caller's
`Context`."""

import gzip
from datetime import date

from domain.screening.csl import load_csl
from services.context import Runtime
from services.keys import key_view
from services.models.reference import ApiKeyView
from store import accounts, screening
from store.screening import ListVersion


async def create_account(rt: Runtime, name: str) -> str:
    """A new account; returns its id."""
    async with rt.pool.acquire() as conn, conn.transaction():
        return await accounts.create_account(conn, name)


async def revoke_key(rt: Runtime, key_id: str) -> ApiKeyView:
    """Revoke a key of any account at once (revoking again changes nothing)."""
    async with rt.pool.acquire() as conn, conn.transaction():
        return key_view(await accounts.revoke_key(conn, key_id))


async def import_screening_list(
    rt: Runtime, list_date: date, source_name: str, data: bytes
) -> tuple[ListVersion, bool]:
    """Parse a Consolidated Screening List file as published (CSV or JSON, gzip accepted;
    CslFormatError names what is wrong) and store it as the version of `list_date`, in one
    transaction; `True` when the version is new."""
    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    entries = load_csl(text)
    async with rt.pool.acquire() as conn, conn.transaction():
        return await screening.save_list(conn, list_date, source_name, entries)


async def screening_lists(rt: Runtime) -> list[ListVersion]:
    """Every imported version of the list, newest (the one planning uses) first."""
    async with rt.pool.acquire() as conn:
        return await screening.list_versions(conn)
