"""Lists of named entities a manufacturer is matched against (UFLPA Entity List, FCC Covered
List): each entity with the aliases its list gives, matched by `domain.terms.name_key`."""

from datetime import date
from functools import cached_property

from domain.rulepack.base import DatedMeasure, HtsPrefixes, PackModel, Terms
from domain.terms import name_key


class ListedEntity(PackModel):
    """One entity of a list with the aliases the list gives."""

    name: str
    aliases: tuple[str, ...] = ()


class EntityList(DatedMeasure):
    """A dated list of entities, as of `listDate`."""

    list_date: date
    # words of legal form matching ignores ("co", "ltd", "company limited", …)
    legal_form_words: Terms
    entities: tuple[ListedEntity, ...]

    @cached_property
    def by_key(self) -> dict[str, ListedEntity]:
        """Every spelling's key to its entity (computed once per loaded pack)."""
        index: dict[str, ListedEntity] = {}
        for entity in self.entities:
            for spelling in (entity.name, *entity.aliases):
                index.setdefault(name_key(spelling, self.legal_form_words), entity)
        index.pop("", None)
        return index

    def find(self, name: str) -> ListedEntity | None:
        """The entity whose name or an alias has the same key as `name`, if any."""
        return self.by_key.get(name_key(name, self.legal_form_words))


class UflpaEntityList(EntityList):
    """S-011: manufacturers on the UFLPA Entity List."""


class FccCoveredEquipment(EntityList):
    """S-013: equipment needing FCC authorization (`prefixes`) made by a Covered List entity."""

    prefixes: HtsPrefixes
