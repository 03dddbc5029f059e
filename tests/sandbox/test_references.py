"""Broker references and entry numbers: deterministic, well-formed, check digit valid."""

import re

from sandbox.references import broker_reference, entry_number, luhn_check_digit


def test_broker_reference_is_deterministic_and_distinct() -> None:
    assert broker_reference("bsub_1") == broker_reference("bsub_1")
    assert broker_reference("bsub_1") != broker_reference("bsub_2")
    assert re.fullmatch(r"BRK-[0-9A-F]{12}", broker_reference("bsub_1"))


def test_entry_number_shape_and_check_digit() -> None:
    number = entry_number("bsub_1")
    assert number == entry_number("bsub_1")
    filer, serial, check = number.split("-")
    assert filer == "EGX"
    assert re.fullmatch(r"\d{7}", serial)
    assert int(check) == luhn_check_digit(serial)


def test_luhn_check_digit_known_value() -> None:
    # 7992739871 is the textbook Luhn example; its check digit is 3.
    assert luhn_check_digit("7992739871") == 3
