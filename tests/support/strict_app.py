"""An app that polices outbound addresses (ENTRYGO_ALLOW_PRIVATE_URLS off), as production does.

The session's app allows private addresses (the tests' receivers listen on loopback); tests of
the address policy speak to this one instead.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from api.app import create_app
from config.settings import Settings

# every kind of address the policy refuses, and names that stand for one (`127.1` and the
# decimal form are resolved by the system resolver, not parsed as IP literals)
NON_PUBLIC_HOSTS = (
    "127.0.0.1",
    "10.1.2.3",
    "169.254.169.254",
    # IPv6 literals ([::1]) are refused by the schema's form already: tested on their own
    "0.0.0.0",
    "224.0.0.1",
    "localhost",
    "127.1",
    "2130706433",
)
PUBLIC_LITERAL = "93.184.215.14"


@asynccontextmanager
async def strict_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built with the address policy on (lifespan entered)."""
    app = create_app(settings.model_copy(update={"allow_private_urls": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
