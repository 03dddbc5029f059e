"""store.ids: ids minted one at a time and a sync's worth at once."""

import pytest

from store.ids import has_prefix, new_id, new_ids


def test_new_ids_look_like_new_id_and_ascend() -> None:
    ids = new_ids("ord", 5000)
    assert len(set(ids)) == 5000
    assert ids == sorted(ids)
    assert all(has_prefix(i, "ord") for i in ids)
    one = new_id("ord")
    assert all(len(i) == len(one) and set(i[4:]) <= set(one[4:]) | set(_DIGITS) for i in ids)
    # the random part draws every digit
    assert set("".join(i[14:] for i in ids)) == set(_DIGITS)


def test_new_ids_take_known_prefixes_only() -> None:
    with pytest.raises(ValueError, match="unknown id prefix"):
        new_ids("xyz", 1)
    assert new_ids("ord", 0) == []


_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
