"""How alike two normalized names are: a weighted token-set score with fuzzy token comparison.

Tokens are compared with a Damerau (optimal string alignment) edit distance in which a vowel
costs less than a consonant (transliterations disagree mostly on vowels: Mohamed/Muhamad), turned
into a ratio in [0, 1]. Names are compared as sets of tokens, paired greedily best first; each
pair counts by its ratio and by its tokens' weights, so words many listed parties share
("Trading", "International") count for less than distinctive ones.
"""

import functools
import math
from collections import Counter
from collections.abc import Iterable

from domain.screening.names import GENERIC_KEYS

VOWELS = frozenset("aeiou")
VOWEL_SWAP = 0.3
VOWEL_GAP = 0.6
TOKEN_FLOOR = 0.82
GENERIC_WEIGHT = 0.25
SHORT_WEIGHT = 0.5
JOINED_FLOOR = 0.9
# keys of Russian patronymics (-ovich, -evich, -ovna, -evna) after `names.key`
PATRONYMIC_ENDINGS = ("ovic", "evic", "ovna", "evna")


def _gap(char: str) -> float:
    return VOWEL_GAP if char in VOWELS else 1.0


def _swap(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return VOWEL_SWAP if a in VOWELS and b in VOWELS else 1.0


def edit_cost(a: str, b: str, limit: float = math.inf) -> float:
    """Weighted optimal-string-alignment distance: vowel edits cost less, a transposition 1.
    Past `limit` it stops early and answers some cost over `limit`."""
    if a == b:
        return 0.0
    previous2: list[float] = []
    previous = [0.0]
    for char in b:
        previous.append(previous[-1] + _gap(char))
    for i, ca in enumerate(a, start=1):
        current = [previous[0] + _gap(ca)]
        for j, cb in enumerate(b, start=1):
            cost = min(
                previous[j] + _gap(ca),
                current[j - 1] + _gap(cb),
                previous[j - 1] + _swap(ca, cb),
            )
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and ca != cb:
                cost = min(cost, previous2[j - 2] + 1.0)
            current.append(cost)
        if min(current) > limit:
            return min(current)
        previous2, previous = previous, current
    return previous[-1]


def ratio(a: str, b: str) -> float:
    """1 for equal strings, falling to 0 as the weighted edit cost nears the longer length."""
    if a == b:
        return 1.0
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return max(0.0, 1.0 - edit_cost(a, b) / longest)


def token_similarity(a: str, b: str) -> float:
    """Two token keys' likeness; 0 below TOKEN_FLOOR, and numbers or 3-letter tokens must be
    equal."""
    if a == b:
        return 1.0
    if min(len(a), len(b)) <= 3 or a.isdigit() or b.isdigit():
        return 0.0
    longest = max(len(a), len(b))
    limit = (1.0 - TOKEN_FLOOR) * longest
    if VOWEL_GAP * abs(len(a) - len(b)) > limit or _consonant_gap(a, b) > limit:
        return 0.0
    value = 1.0 - edit_cost(a, b, limit) / longest
    return value if value >= TOKEN_FLOOR else 0.0


@functools.lru_cache(maxsize=65536)
def _consonants(token: str) -> Counter[str]:
    return Counter(c for c in token if c not in VOWELS)


def _consonant_gap(a: str, b: str) -> int:
    """A lower bound of `edit_cost`: each consonant one has and the other lacks costs 1."""
    ca, cb = _consonants(a), _consonants(b)
    return max(sum((ca - cb).values()), sum((cb - ca).values()))


def weight(token: str) -> float:
    """How much a token counts in a match: generic business words, patronymics (often left
    out) and short tokens less."""
    if token in GENERIC_KEYS:
        return GENERIC_WEIGHT
    if len(token) <= 2 or token.endswith(PATRONYMIC_ENDINGS):
        return SHORT_WEIGHT
    return 1.0


def _pairs(
    query: Iterable[str], listed: Iterable[str], cache: dict[tuple[str, str], float]
) -> float:
    q, c = sorted(set(query)), sorted(set(listed))
    scored = []
    for a in q:
        for b in c:
            pair = (a, b)
            value = cache.get(pair)
            if value is None:
                value = cache[pair] = token_similarity(a, b)
            if value > 0:
                scored.append((-value, a, b))
    scored.sort()
    used_q: set[str] = set()
    used_c: set[str] = set()
    total = 0.0
    for negative, a, b in scored:
        if a in used_q or b in used_c:
            continue
        used_q.add(a)
        used_c.add(b)
        total += -negative * (weight(a) + weight(b))
    denominator = sum(weight(t) for t in q) + sum(weight(t) for t in c)
    return total / denominator if denominator else 0.0


def merge_runs(tokens: tuple[str, ...], other: frozenset[str]) -> tuple[str, ...]:
    """`tokens` with each two neighbours the other name writes as one word joined ("hik vision"
    -> "hikvision")."""
    merged: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] + tokens[i + 1] in other:
            merged.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            merged.append(tokens[i])
            i += 1
    return tuple(merged)


def name_similarity(
    query: tuple[str, ...],
    listed: tuple[str, ...],
    cache: dict[tuple[str, str], float] | None = None,
) -> float:
    """Score in [0, 1] of two names' token keys (see `names.normalize`); word order free. Names
    split into words differently ("Sino Bright"/"Sinobright") are also compared run together."""
    if not query or not listed:
        return 0.0
    query, listed = merge_runs(query, frozenset(listed)), merge_runs(listed, frozenset(query))
    score = _pairs(query, listed, {} if cache is None else cache)
    if len(query) != len(listed) and score < 1.0:
        joined = ratio("".join(query), "".join(listed))
        if joined >= JOINED_FLOOR:
            score = max(score, joined)
    return score
