"""Screening a name against listed parties through an inverted index over token keys.

Every listed name and alias (and each parenthetical of one: an acronym, a former name) is a
variant. The index maps each token key to the variants holding it, and blocks the key
vocabulary (by its first two letters, last three and consonant skeleton) so a misspelt query
token still finds its listed token without comparing it against every key. A query is scored
only against variants sharing a (near) distinctive token with it; generic words ("Trading")
find candidates only when a query has nothing else.
"""

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from domain.screening.csl import CslEntry
from domain.screening.names import GENERIC_KEYS, name_variants, normalize
from domain.screening.similarity import name_similarity, token_similarity

DEFAULT_MIN_SCORE = 0.8
JOINED = "="
_NEAR_KEEP = 50_000  # query tokens whose near keys an index keeps
_MATCHES_KEEP = 20_000  # screened names whose matches an index keeps


@dataclass(frozen=True)
class ScreeningMatch:
    """A listed entry a name matched: its primary name, the variant matched and the score."""

    entry_id: str
    source: str
    listed_name: str
    matched_name: str
    score: float


@dataclass(frozen=True)
class Variant:
    """One name a listed entry goes by, with its token keys."""

    entry: CslEntry
    text: str
    keys: tuple[str, ...]


def variants_of(entry: CslEntry) -> list[Variant]:
    """The entry's primary name and aliases, each split into its variants, with their keys."""
    found: list[Variant] = []
    seen: set[tuple[str, ...]] = set()
    for written in (entry.name, *entry.alt_names):
        for text in name_variants(written):
            keys = normalize(text)
            if keys and keys not in seen:
                seen.add(keys)
                found.append(Variant(entry, text, keys))
    return found


def skeleton(token: str) -> str:
    """A key's consonants (its first letter kept): keys differing in vowels share it."""
    return token[:1] + "".join(c for c in token[1:] if c not in "aeiou")


def blocks(token: str) -> tuple[str, ...]:
    """The blocking keys a token key is filed under."""
    return (f"p:{token[:2]}", f"s:{token[-3:]}", f"k:{skeleton(token)[:3]}")


def rank(matches: Iterable[ScreeningMatch]) -> list[ScreeningMatch]:
    """Best first; ties in a fixed order (source, id, matched name)."""
    return sorted(matches, key=lambda m: (-m.score, m.source, m.entry_id, m.matched_name))


def best_per_entry(
    scored: Iterable[tuple[Variant, float]], min_score: float
) -> list[ScreeningMatch]:
    """One match per entry (its best variant) at or above `min_score`, best first."""
    best: dict[tuple[str, str], ScreeningMatch] = {}
    for variant, score in scored:
        if score < min_score:
            continue
        entry = variant.entry
        match = ScreeningMatch(entry.entry_id, entry.source, entry.name, variant.text, score)
        ident = (entry.source, entry.entry_id)
        held = best.get(ident)
        if held is None or (-score, variant.text) < (-held.score, held.matched_name):
            best[ident] = match
    return rank(best.values())


class ScreeningIndex:
    """An immutable index of listed names; `match` screens one name against it."""

    def __init__(
        self,
        variants: list[Variant],
        postings: dict[str, list[int]],
        vocabulary: dict[str, list[str]],
    ) -> None:
        self.variants = variants
        self._postings = postings
        self._vocabulary = vocabulary
        self._similar: dict[tuple[str, str], float] = {}
        # the listed keys near a query token: the same tokens recur in many queries (a plan
        # screens every consignee and manufacturer), the index never changes
        self._near_keys: dict[str, frozenset[str]] = {}
        # the matches of a screened name: the same consignees and manufacturers are screened
        # again by every plan (and re-plan) of their orders
        self._matches: dict[tuple[str, float], tuple[ScreeningMatch, ...]] = {}

    @classmethod
    def build(cls, entries: Iterable[CslEntry]) -> "ScreeningIndex":
        """Index every name and alias of `entries`."""
        variants = [v for entry in entries for v in variants_of(entry)]
        postings: dict[str, list[int]] = defaultdict(list)
        for n, variant in enumerate(variants):
            for token in sorted(set(variant.keys)):
                postings[token].append(n)
            if len(variant.keys) > 1:
                postings[JOINED + "".join(variant.keys)].append(n)
        vocabulary: dict[str, list[str]] = defaultdict(list)
        for token in sorted(t for t in postings if not t.startswith(JOINED)):
            for block in blocks(token):
                vocabulary[block].append(token)
        return cls(variants, dict(postings), dict(vocabulary))

    def __len__(self) -> int:
        return len(self.variants)

    def _near(self, token: str) -> frozenset[str]:
        found = self._near_keys.get(token)
        if found is None:
            if len(self._near_keys) >= _NEAR_KEEP:
                self._near_keys.clear()
            found = self._near_keys[token] = frozenset(self._near_uncached(token))
        return found

    def _near_uncached(self, token: str) -> set[str]:
        if token in self._postings and (len(token) <= 3 or token.isdigit()):
            return {token}
        near = {token} if token in self._postings else set()
        for block in blocks(token):
            for listed in self._vocabulary.get(block, ()):
                if listed not in near and token_similarity(token, listed) > 0:
                    near.add(listed)
        return near

    def candidates(self, keys: tuple[str, ...]) -> list[int]:
        """The variants sharing a (near) token with `keys` (its distinctive tokens when it has any,
        else all of them), or two or all of its tokens run together."""
        distinctive = [t for t in keys if t not in GENERIC_KEYS] or list(keys)
        runs = [a + b for a, b in itertools.pairwise(keys)]
        if len(keys) > 2:
            runs.append("".join(keys))
        found: set[int] = set(self._postings.get(JOINED + "".join(keys), ()))
        for token in (*distinctive, *runs):
            for listed in self._near(token):
                found.update(self._postings[listed])
        return sorted(found)

    def match(self, name: str, *, min_score: float = DEFAULT_MIN_SCORE) -> list[ScreeningMatch]:
        """The listed entries `name` matches with a score of at least `min_score`, best first."""
        found = self._matches.get((name, min_score))
        if found is None:
            if len(self._matches) >= _MATCHES_KEEP:
                self._matches.clear()
            found = self._matches[name, min_score] = tuple(self._match_uncached(name, min_score))
        return list(found)

    def _match_uncached(self, name: str, min_score: float) -> list[ScreeningMatch]:
        keys = normalize(name)
        if not keys:
            return []
        scored = (
            (self.variants[n], name_similarity(keys, self.variants[n].keys, self._similar))
            for n in self.candidates(keys)
        )
        return best_per_entry(scored, min_score)

    def scan(self, name: str, *, min_score: float = DEFAULT_MIN_SCORE) -> list[ScreeningMatch]:
        """Every variant scored, without the index: the reference `match` is measured against."""
        keys = normalize(name)
        if not keys:
            return []
        cache: dict[tuple[str, str], float] = {}
        scored = ((v, name_similarity(keys, v.keys, cache)) for v in self.variants)
        return best_per_entry(scored, min_score)
