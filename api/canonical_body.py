"""A validated body's canonical JSON in one pass of pydantic's serializer.

The idempotency fingerprint (api/idempotency.py) is the SHA-256 of `canonical_json` over the
body's `model_dump(mode="json")`: its bytes are compared with fingerprints already stored and
derive a keyed plan's export id, so they never change. Dumping a 1,000-order sync to Python
objects and encoding them again with sorted keys is most of the fingerprint's time; pydantic's
JSON serializer writes the same bytes in about a third of it when each model writes its fields
in the order of their wire names and free-form objects come with their keys sorted. `canonical_body` builds such a serializer from the model's core schema, for the models
whose every part it knows to be written alike (strings, integers, booleans, decimals, lists,
nested models, free-form JSON objects); for any other model, and for any value it cannot vouch
for (a float pydantic writes in another notation, a value of an unexpected type, text UTF-8
cannot encode), it answers None and the caller dumps and encodes the body as before.
tests/api/test_canonical_body.py holds it to the old bytes.
"""

import math
from typing import Any, cast

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaSerializer, core_schema, to_json

# schema kinds whose JSON is the JSON of their `model_dump(mode="json")` as `canonical_json`
# writes it, once the fields of each model are in the order of their wire names
_LEAVES = frozenset({"str", "int", "bool", "decimal"})
_WRAPPERS = frozenset({"nullable", "default", "function-before", "function-after"})
_FIELD_KEYS = frozenset(
    {"type", "schema", "validation_alias", "serialization_alias", "metadata", "frozen"}
)


class _NotCanonical(Exception):
    """A value whose JSON from pydantic could differ from `canonical_json`'s."""


def _json_value(value: object) -> object:
    """A free-form JSON value with its objects' keys sorted, as `canonical_json` orders them;
    only what a JSON body can hold, and floats that pydantic writes as Python's repr does."""
    kind = type(value)
    if kind is dict:
        if not all(type(k) is str for k in cast(dict[object, object], value)):
            raise _NotCanonical
        members = cast(dict[str, object], value)
        return {k: _json_value(members[k]) for k in sorted(members)}
    if kind is list:
        return [_json_value(v) for v in cast(list[object], value)]
    if kind is float:
        # json.dumps writes repr(); pydantic writes 1e-07 as 1e-7, and non-finite floats are
        # dumped as None first: such a body takes the slow path
        number = cast(float, value)
        if not math.isfinite(number) or to_json(number) != repr(number).encode():
            raise _NotCanonical
        return number
    if kind is str or kind is int or kind is bool or value is None:
        return value
    raise _NotCanonical


_ANY_SORTED = core_schema.any_schema(
    serialization=core_schema.plain_serializer_function_ser_schema(
        _json_value, return_schema=core_schema.any_schema()
    )
)


def _sorted_schema(core: CoreSchema) -> CoreSchema:
    """A copy of `core` that serialises keys in sorted order; `_NotCanonical` when some part
    of it is not known to be written as `canonical_json` writes its dump."""
    schema = cast(dict[str, Any], core)  # read by key, whatever its kind
    if "serialization" in schema or ("ref" in schema and schema["type"] != "model"):
        raise _NotCanonical
    kind = schema["type"]
    if kind in _LEAVES:
        return core
    if kind == "any":
        return _ANY_SORTED
    if kind == "dict":
        keys = schema.get("keys_schema", {"type": "str"})
        values = schema.get("values_schema", {"type": "any"})
        if keys["type"] != "str" or values["type"] != "any" or "serialization" in keys:
            raise _NotCanonical
        return _ANY_SORTED
    if kind in _WRAPPERS or kind == "list":
        inner = "items_schema" if kind == "list" else "schema"
        return cast(CoreSchema, {**schema, inner: _sorted_schema(schema[inner])})
    if kind == "model":
        config = schema.get("config", {})
        fields_schema = schema["schema"]
        if (
            schema.get("root_model")
            or config.get("extra_fields_behavior") == "allow"
            or config.get("serialize_by_alias") is not True  # the dump's keys are the aliases
            or fields_schema["type"] != "model-fields"
            or fields_schema.get("computed_fields")
        ):
            raise _NotCanonical
        fields = fields_schema["fields"]
        for field in fields.values():
            if not field.keys() <= _FIELD_KEYS:
                raise _NotCanonical
        # pydantic writes a model's fields in the order of its `__dict__`, and its computed
        # fields after them in the order given: every field becomes a computed one, read from
        # the instance, in the order of the wire names; the stand-in class keeps pydantic from
        # reusing the model's own serializer (outside a union a model's serializer asks no more
        # of the value than a `__dict__`)
        order = sorted(fields, key=lambda name: fields[name].get("serialization_alias", name))
        readers = [
            core_schema.computed_field(
                name,
                _sorted_schema(fields[name]["schema"]),
                alias=fields[name].get("serialization_alias", name),
            )
            for name in order
        ]
        stand_in = type(f"Sorted{schema['cls'].__name__}", (), {})
        fields_only = core_schema.model_fields_schema({}, computed_fields=readers)
        return core_schema.model_schema(stand_in, fields_only)
    raise _NotCanonical


def _serializer(model: type[BaseModel]) -> SchemaSerializer | None:
    try:
        return SchemaSerializer(_sorted_schema(model.__pydantic_core_schema__))
    except Exception:  # a schema it does not know (or not built yet): the old path, always
        return None


_SERIALIZERS: dict[type[BaseModel], SchemaSerializer | None] = {}


def canonical_body(body: BaseModel, exclude: set[str]) -> bytes | None:
    """`canonical_json(body.model_dump(mode="json", exclude=exclude))`, or None when this body
    must be dumped and encoded that way instead."""
    model = type(body)
    if model not in _SERIALIZERS:
        _SERIALIZERS[model] = _serializer(model)
    serializer = _SERIALIZERS[model]
    if serializer is None:
        return None
    try:
        return serializer.to_json(body, exclude=exclude, by_alias=True, warnings="error")
    except Exception:  # whatever it is, the old path decides (and raises it if it must)
        return None
