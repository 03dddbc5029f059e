"""Which addresses a webhook may reach."""

import pytest

from domain.addresses import is_public, literal_ip, refusal, url_host, url_origin


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


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Broker.Example.com:8443/in", "broker.example.com"),
        ("http://[::1]:9/x", "::1"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("http:///no-host", None),
        ("http://[::1/x", None),
        ("http://a..b/x", None),
    ],
)
def test_url_host_reads_the_host_or_refuses_an_unusable_one(url: str, host: str | None) -> None:
    assert url_host(url) == host


def test_refusal_names_the_host_and_the_refused_addresses() -> None:
    assert (
        refusal("169.254.169.254", ["169.254.169.254"]) == "169.254.169.254 is not a public address"
    )
    assert refusal("evil.example", ["93.184.215.14", "10.0.0.5"]) == (
        "evil.example resolves to a non-public address (10.0.0.5)"
    )
    assert refusal("nothing.example", []) == "nothing.example resolves to no address"
    assert refusal("ok.example", ["93.184.215.14", "2606:4700:4700::1111"]) is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8 (DNS64 on an IPv6-only cluster)
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("2002:808:808::", True),  # 6to4 wrapping 8.8.8.8
        ("::ffff:169.254.169.254", False),
    ],
)
def test_ipv4_inside_ipv6_is_judged_as_itself(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_a_message_names_a_url_by_its_origin_only() -> None:
    assert url_origin("https://hooks.example.com:8443/services/T0/SECRET?token=abc") == (
        "https://hooks.example.com:8443"
    )
    assert "SECRET" not in url_origin("http://h.example/SECRET")
