"""Name resolution for the outbound address policy (`domain/addresses.py` decides).

One async check shared by the services (a URL is saved) and the activities and the webhook
outbox (a URL is about to be called). It lives in store/ because both layers may import it, as
they do the id minting and key hashing here; it touches no table.
"""

import asyncio
import socket

from domain.addresses import fixed_addresses, refusal, url_host

RESOLVE_TIMEOUT_SECONDS = 5.0


class Unresolved(Exception):
    """The host does not resolve now (no such name, or the resolver did not answer)."""


async def addresses_of(host: str) -> list[str]:
    """The addresses `host` stands for: an IP literal or `localhost` as it is, else what the
    system resolver answers within RESOLVE_TIMEOUT_SECONDS (every family, each address once, in
    the resolver's order)."""
    fixed = fixed_addresses(host)
    if fixed is not None:
        return fixed
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, TimeoutError) as exc:  # socket.gaierror is an OSError
        raise Unresolved(f"{host} does not resolve") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def outbound_refusal(url: str) -> str | None:
    """Why `url` may not be called (no usable host, or a host that is or resolves to an address
    that is not public), or None. Raises Unresolved when the host does not resolve now: the
    caller decides whether that is acceptable (saving) or worth retrying (sending)."""
    host = url_host(url)
    if host is None:
        return "the URL has no valid host"
    return refusal(host, await addresses_of(host))
