"""Company names compared as the UFLPA Entity List writes them (S-011).

Two spellings of one company differ in case, punctuation, legal form ("Co., Ltd.",
"Company Limited") and a parenthesised place ("(Xinjiang)"); the key drops all of those, so
"Hoshine Silicon Industry (Shanshan) Co., Ltd" and "HOSHINE SILICON INDUSTRY CO LTD" meet.
"""

import re
from functools import lru_cache

from domain.rulepack.model import UflpaEntity, UflpaEntityList
from domain.terms import words

_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")


@lru_cache(maxsize=8)
def _legal_forms(forms: tuple[str, ...]) -> re.Pattern[str]:
    # longest first, so a longer form goes before a shorter one it contains
    alternatives = sorted((" ".join(words(f)) for f in forms), key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, alternatives))})(?!\w)")


def name_key(name: str, legal_forms: tuple[str, ...]) -> str:
    """The comparable form of a company name: lower-case words, no legal form, no (place)."""
    text = " ".join(words(_PARENTHESISED.sub(" ", name)))
    if legal_forms:
        text = _legal_forms(legal_forms).sub(" ", text)
    return " ".join(text.split())


# one index per entity list object; the packs are loaded once per process, so this stays small
_INDEXES: dict[int, tuple[UflpaEntityList, dict[str, UflpaEntity]]] = {}


def _index(entity_list: UflpaEntityList) -> dict[str, UflpaEntity]:
    cached = _INDEXES.get(id(entity_list))
    if cached is not None and cached[0] is entity_list:
        return cached[1]
    index: dict[str, UflpaEntity] = {}
    for entity in entity_list.entities:
        for spelling in (entity.name, *entity.aliases):
            index.setdefault(name_key(spelling, entity_list.legalFormWords), entity)
    index.pop("", None)
    _INDEXES[id(entity_list)] = (entity_list, index)
    return index


def listed_entity(name: str, entity_list: UflpaEntityList) -> UflpaEntity | None:
    """The entity whose name or an alias has the same key as `name`, if any."""
    key = name_key(name, entity_list.legalFormWords)
    return _index(entity_list).get(key) if key else None
