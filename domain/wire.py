"""How values go on the wire: camelCase names by alias over snake_case attributes, RFC 3339
UTC times, money as numbers."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from domain.money import to_number


class WireModel(BaseModel):
    """A model with snake_case attributes and the wire's names by alias.

    Python code reads `plan.plan_hash`; JSON, stored documents, hashes and Temporal payloads keep
    the contract's `planHash`, in and out. A field whose wire name is not the camel form of its
    attribute says so with `Field(alias=...)`. `model_copy(update=...)` takes attribute names.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class WireInput(WireModel):
    """What a client sends: the wire's names only, and nothing else.

    Python code may build one by attribute name only where the two names agree; a body that
    spells a field by its Python name (`account_id`) is refused as an unknown field, as the
    contract's bodies always were.
    """

    model_config = ConfigDict(extra="forbid", validate_by_name=False)


def rfc3339(value: datetime) -> str:
    """`2026-11-26T23:31:23.877105Z` (naive times are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def wire_value(value: Any) -> Any:
    """`json.dumps(default=...)` for datetimes, dates and Decimals."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return to_number(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")
