"""A product's content digest (stored as `products.content_hash`) is what says a re-sync changed
something: it must stay the digest every stored product was written with."""

from domain.canonical import sha256_of
from domain.catalog import ProductIn, product_content

FULL = {
    "externalId": "SKU-1",
    "description": "Cotton T-shirt",
    "hsCode": "6109.10",
    "countryOfOrigin": "PT",
    "unitValueUsd": "12.50",
    "weightKg": "0.2",
    "manufacturer": {"name": "Fábrica", "address": "Rua 1", "city": "Porto", "country": "PT"},
    "attributes": {"material": "cotton"},
}
# digests of products as stored since the first release (before attributes were snake_case)
FULL_DIGEST = "c00bb8263def49c9299ef39fbf2116acf36c531a321811f4730990fc9a39bebb"
BARE_DIGEST = "8b3f5f37bca6fdb5f5947d614f8a9f8647a30eee6f9fa600c06dc156f8c87ad3"


def test_the_digest_is_the_one_products_are_stored_with() -> None:
    assert sha256_of(product_content(ProductIn.model_validate(FULL))).hex() == FULL_DIGEST
    bare = ProductIn.model_validate({"externalId": "SKU-2"})
    assert sha256_of(product_content(bare)).hex() == BARE_DIGEST


def test_the_content_speaks_the_wire_names_without_the_identity() -> None:
    content = product_content(ProductIn.model_validate(FULL))
    assert "externalId" not in content
    assert "external_id" not in content
    assert set(content) == set(FULL) - {"externalId"}


def test_another_external_id_is_the_same_content() -> None:
    other = ProductIn.model_validate({**FULL, "externalId": "SKU-9"})
    assert product_content(other) == product_content(ProductIn.model_validate(FULL))
