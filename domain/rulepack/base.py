"""The pieces every rule-pack model is made of: HTS prefix lists, term lists, the dated measure."""

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from domain.wire import WireModel

_RANGE = re.compile(r"^(\d+)-(\d+)$")


def _expand_prefixes(values: tuple[str, ...]) -> tuple[str, ...]:
    # the TOML is written the way trade texts write codes; rules compare plain digit prefixes
    out: list[str] = []
    for raw in values:
        text = raw.replace(".", "").replace(" ", "")
        span = _RANGE.match(text)
        if span:
            low, high = span.groups()
            if len(low) != len(high) or int(low) > int(high):
                raise ValueError(f"bad HTS range {raw!r}")
            out.extend(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
        elif text.isdigit() and len(text) % 2 == 0:
            out.append(text)
        else:
            raise ValueError(f"bad HTS prefix {raw!r}")
    return tuple(dict.fromkeys(out))


def _normalize_terms(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(v.casefold().split()) for v in values))


HtsPrefixes = Annotated[tuple[str, ...], AfterValidator(_expand_prefixes)]
Terms = Annotated[tuple[str, ...], AfterValidator(_normalize_terms)]
Codes = tuple[str, ...]
LineEffect = Literal["EXCLUDE", "EXCLUDE_REVIEW", "REVIEW", "FLAG"]


class PackModel(WireModel):
    # attributes in snake_case, the TOML's (and the content hash's) camelCase names by alias
    model_config = ConfigDict(frozen=True, extra="forbid")


def added(default: Any = None) -> Any:
    """A field added after us-2026.11: absent from a pack's content (and hash) when not given,
    so the content hash, and every planHash, of an older pack stays what it was."""
    return Field(default=default, exclude_if=lambda value: value is None)


class DatedMeasure(PackModel):
    """A policy fact that holds from `effectiveFrom` and must be re-checked by `reviewBy`."""

    effective_from: date
    review_by: date
    basis: str
    # public addresses the measure's data was checked against (required from SOURCED_FORMAT on)
    sources: tuple[str, ...] | None = added()

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.review_by < self.effective_from:
            raise ValueError("reviewBy is before effectiveFrom")
        return self
