"""A dated, loaded restricted-party list: its version and the index its names are matched in."""

import hashlib
from dataclasses import dataclass
from datetime import date

from domain.screening.csl import CslEntry
from domain.screening.index import ScreeningIndex, ScreeningMatch


def list_version(list_date: date, entries: tuple[CslEntry, ...]) -> str:
    """`csl-<date>-<8 hex>`: the list's date and a digest of its entries, so the same file
    imported twice is one version and two lists of one date are two."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: (e.source, e.entry_id, e.name)):
        fields = (entry.entry_id, entry.source, entry.name, *entry.alt_names, *entry.programs)
        digest.update("\x1f".join(fields).encode() + b"\x1e")
    return f"csl-{list_date.isoformat()}-{digest.hexdigest()[:8]}"


@dataclass(frozen=True)
class ScreeningList:
    """One version of the list, indexed for matching."""

    version: str
    list_date: date
    index: ScreeningIndex

    @classmethod
    def of(cls, list_date: date, entries: tuple[CslEntry, ...]) -> "ScreeningList":
        """The list of these entries, with the version they make."""
        return cls(list_version(list_date, entries), list_date, ScreeningIndex.build(entries))

    def match(self, name: str, min_score: float) -> list[ScreeningMatch]:
        """The listed parties `name` matches at `min_score` or more, best first."""
        return self.index.match(name, min_score=min_score)
