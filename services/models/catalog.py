"""Views of the catalog's sync answers (CONTRACT §7, §8)."""

from pydantic import BaseModel

from domain.catalog import Order, Product


class ProductList(BaseModel):
    """Products in request order."""

    data: list[Product]


class OrderList(BaseModel):
    """Orders in request order."""

    data: list[Order]
