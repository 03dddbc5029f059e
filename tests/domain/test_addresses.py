"""Which addresses a webhook may reach."""

import pytest

from domain.addresses import is_public, literal_ip


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::",
        "::ffff:127.0.0.1",
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(address)


def test_literal_ip_reads_bracketed_ipv6_and_refuses_names() -> None:
    assert literal_ip("[::1]") == "::1"
    assert literal_ip("127.0.0.1") == "127.0.0.1"
    assert literal_ip("example.com") is None
