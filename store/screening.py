"""Restricted-party lists: import a version, name the newest, load one for matching."""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from domain.screening.csl import CslEntry
from domain.screening.lists import ScreeningList, list_version
from store.db import Connection, Row

# loaded lists by version (a version never changes once imported); a few fit in memory
_LOADED: OrderedDict[str, ScreeningList] = OrderedDict()
_KEEP = 2


@dataclass(frozen=True)
class ListVersion:
    """One imported version of the list."""

    version: str
    list_date: date
    source_name: str
    entry_count: int
    imported_at: datetime


async def save_list(
    conn: Connection, list_date: date, source_name: str, entries: tuple[CslEntry, ...]
) -> tuple[ListVersion, bool]:
    """Store the version these entries make; `True` when it is new (the same entries of the
    same date imported again are the version already stored). Call inside a transaction."""
    version = list_version(list_date, entries)
    row = await conn.fetchrow(
        """INSERT INTO screening_lists (version, list_date, source_name, entry_count)
           VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING RETURNING *""",
        version,
        list_date,
        source_name,
        len(entries),
    )
    if row is None:
        existing = await conn.fetchrow("SELECT * FROM screening_lists WHERE version = $1", version)
        assert existing is not None
        return _version(existing), False
    await conn.executemany(
        """INSERT INTO screening_entries (version, position, entry_id, source, name, alt_names,
                                          entity_type, programs, countries)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        [
            (
                version,
                position,
                e.entry_id,
                e.source,
                e.name,
                list(e.alt_names),
                e.entity_type,
                list(e.programs),
                list(e.countries),
            )
            for position, e in enumerate(entries)
        ],
    )
    return _version(row), True


async def list_versions(conn: Connection) -> list[ListVersion]:
    """Every imported version, newest first (the first is the one planning uses)."""
    rows = await conn.fetch(
        "SELECT * FROM screening_lists ORDER BY list_date DESC, imported_at DESC, version"
    )
    return [_version(r) for r in rows]


async def current_version(conn: Connection) -> str | None:
    """The version planning screens against: the newest by list date, then by import."""
    value = await conn.fetchval(
        """SELECT version FROM screening_lists
           ORDER BY list_date DESC, imported_at DESC, version LIMIT 1"""
    )
    return str(value) if value is not None else None


async def load_list(conn: Connection, version: str) -> ScreeningList:
    """The version's entries, indexed (kept in memory for the next plan of the same version)."""
    loaded = _LOADED.get(version)
    if loaded is not None:
        _LOADED.move_to_end(version)
        return loaded
    head = await conn.fetchrow("SELECT list_date FROM screening_lists WHERE version = $1", version)
    if head is None:
        raise LookupError(f"screening list {version} is not imported")
    rows = await conn.fetch(
        "SELECT * FROM screening_entries WHERE version = $1 ORDER BY position", version
    )
    entries = tuple(
        CslEntry(
            entry_id=r["entry_id"],
            source=r["source"],
            name=r["name"],
            alt_names=tuple(r["alt_names"]),
            entity_type=r["entity_type"],
            programs=tuple(r["programs"]),
            countries=tuple(r["countries"]),
        )
        for r in rows
    )
    loaded = ScreeningList.of(head["list_date"], entries)
    if loaded.version != version:
        raise ValueError(f"screening list {version} does not hash to its version")
    _LOADED[version] = loaded
    while len(_LOADED) > _KEEP:
        _LOADED.popitem(last=False)
    return loaded


def _version(r: Row) -> ListVersion:
    return ListVersion(
        version=r["version"],
        list_date=r["list_date"],
        source_name=r["source_name"],
        entry_count=r["entry_count"],
        imported_at=r["imported_at"],
    )
