"""Which network addresses an outbound webhook may reach: public ones only (pure).

The policy covers every URL we POST to on someone's behalf: webhook endpoints, broker webhook
transports and warehouse notification URLs. It is checked when the URL is saved and again, after
resolving the host, before each send (`store/resolver.py` resolves; this module decides).
"""

import ipaddress
from urllib.parse import urlsplit

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """False for loopback, private, link-local (the cloud metadata address among them),
    multicast, reserved, unspecified and shared-address-space addresses, and for text that is not
    an IP address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # an IPv4 address carried inside IPv6 is judged as itself: mapped (::ffff:a.b.c.d), 6to4
        # (2002:aabb:ccdd::) and NAT64 (64:ff9b::a.b.c.d, what DNS64 gives an IPv4-only host)
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(ip.packed[12:])
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


def literal_ip(host: str) -> str | None:
    """The host as an IP address when it is one (brackets of IPv6 removed), else None."""
    candidate = host.strip("[]")
    try:
        return str(ipaddress.ip_address(candidate.split("%", 1)[0]))
    except ValueError:
        return None


def fixed_addresses(host: str) -> list[str] | None:
    """The addresses a host stands for without asking DNS (an IP literal, `localhost`), else
    None: the caller resolves the name."""
    literal = literal_ip(host)
    if literal is not None:
        return [literal]
    if host == "localhost" or host.endswith(".localhost"):
        return ["127.0.0.1"]
    return None


def non_public(addresses: list[str]) -> list[str]:
    """The addresses a webhook may not reach."""
    return [a for a in addresses if not is_public(a)]


def url_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL: what a message may say of it (a path or a query may
    carry a token)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparsable URL>"
    return f"{parts.scheme}://{host}{port}"


def url_host(url: str) -> str | None:
    """The URL's host, lower-cased and without IPv6 brackets, or None when it has no usable
    host (none at all, a malformed authority, a name IDNA cannot encode)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
        if not host or not host.encode("idna"):
            return None
    except (ValueError, UnicodeError):  # UnicodeError is a ValueError; both are named
        return None
    return host


def refusal(host: str, addresses: list[str]) -> str | None:
    """Why `host` may not be reached, given the addresses it stands for (naming the host and the
    refused addresses), or None when every address is public."""
    refused = non_public(addresses)
    if refused and literal_ip(host) is not None:
        return f"{host} is not a public address"
    if refused:
        return f"{host} resolves to a non-public address ({', '.join(refused)})"
    if not addresses:
        return f"{host} resolves to no address"
    return None
