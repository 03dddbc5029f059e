"""Company names compared as the UFLPA Entity List writes them (S-011).

Two spellings of one company differ in case, punctuation, legal form ("Co., Ltd.",
"Company Limited") and a parenthesised place ("(Xinjiang)"); the key drops all of those, so
"Hoshine Silicon Industry (Shanshan) Co., Ltd" and "HOSHINE SILICON INDUSTRY CO LTD" meet.
"""

import re

from domain.rulepack import UflpaEntity, UflpaEntityList
from domain.terms import words

_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")


def name_key(name: str, legal_forms: tuple[str, ...]) -> str:
    """The comparable form of a company name: lower-case words, no legal form, no (place)."""
    kept = words(_PARENTHESISED.sub(" ", name))
    text = " ".join(kept)
    # longest legal forms first, so "company limited" goes before "company"
    for form in sorted(legal_forms, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(' '.join(words(form)))}(?!\w)", " ", text)
    return " ".join(text.split())


def listed_entity(name: str, entity_list: UflpaEntityList) -> UflpaEntity | None:
    """The entity whose name or an alias has the same key as `name`, if any."""
    key = name_key(name, entity_list.legalFormWords)
    if not key:
        return None
    for entity in entity_list.entities:
        for spelling in (entity.name, *entity.aliases):
            if name_key(spelling, entity_list.legalFormWords) == key:
                return entity
    return None
