"""The reference-data routes' request and response models: the use cases' own (services/)."""

from services.models.reference import (
    ApiKeyCreated,
    ApiKeyView,
    BrokerCreate,
    BrokerPatch,
    KeyCreate,
    WarehouseCreate,
    WarehousePatch,
)

__all__ = [
    "ApiKeyCreated",
    "ApiKeyView",
    "BrokerCreate",
    "BrokerPatch",
    "KeyCreate",
    "WarehouseCreate",
    "WarehousePatch",
]
