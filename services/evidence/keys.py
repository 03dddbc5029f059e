"""The installation's evidence key: made on first use, kept in the database, one for every
process that shares it (docs/evidence.md).

Not an account's use case: the key belongs to the installation, and its public half is served to
anyone (`GET /api/system/evidence-key`, no API key), so it is reached through this class, handed
the pool, rather than through a `Context`.
"""

from services.models.evidence import EvidenceKey
from signing import evidence as ed25519
from store import evidence
from store.db import Pool
from store.evidence import InstallationKey

PURPOSE = "evidence"


class InstallationKeys:
    """The installation's current evidence key, over the process's pool."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def current(self) -> InstallationKey:
        """The current key, made and kept now if there is none yet (a race keeps one)."""
        async with self.pool.acquire() as conn:
            found = await evidence.current_key(conn, PURPOSE)
            if found is not None:
                return found
            private = ed25519.new_private_key()
            public = ed25519.public_of(private)
            await evidence.add_key(conn, PURPOSE, ed25519.key_id(public), public, private)
            made = await evidence.current_key(conn, PURPOSE)
        if made is None:
            raise LookupError("the evidence key was neither found nor made")
        return made

    async def public(self) -> EvidenceKey:
        """The current key's public half: id, PEM and JWK."""
        key = await self.current()
        return EvidenceKey(
            key_id=key.id,
            algorithm=ed25519.ALGORITHM,
            public_key_pem=ed25519.public_pem(key.public_key),
            jwk={**ed25519.jwk(key.public_key), "kid": key.id, "use": "sig", "alg": "EdDSA"},
            created_at=key.created_at,
        )
