"""People of the identity provider at the console: the sign-ins started at the provider (single
use, bound to a browser, short-lived) and the people who signed in."""

from dataclasses import dataclass

from store.db import Connection


@dataclass(frozen=True)
class SignInAttempt:
    """What a started sign-in keeps until the provider sends the browser back."""

    nonce: str
    code_verifier: str
    next_path: str


async def start_sign_in(
    conn: Connection,
    state_hash: bytes,
    browser_hash: bytes,
    attempt: SignInAttempt,
    lifetime_seconds: float,
) -> None:
    """Store a started sign-in under the hash of its state."""
    await conn.execute(
        """INSERT INTO console_sign_ins
               (state_hash, browser_hash, nonce, code_verifier, next_path, expires_at)
           VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))""",
        state_hash,
        browser_hash,
        attempt.nonce,
        attempt.code_verifier,
        attempt.next_path,
        float(lifetime_seconds),
    )


async def take_sign_in(
    conn: Connection, state_hash: bytes, browser_hash: bytes
) -> SignInAttempt | None:
    """The started sign-in of this state and browser, used up by this call; None when there is
    none, it was used, it expired, or another browser started it."""
    row = await conn.fetchrow(
        """UPDATE console_sign_ins SET used_at = now()
           WHERE state_hash = $1 AND browser_hash = $2 AND used_at IS NULL
             AND expires_at > now()
           RETURNING nonce, code_verifier, next_path""",
        state_hash,
        browser_hash,
    )
    if row is None:
        return None
    return SignInAttempt(
        nonce=row["nonce"], code_verifier=row["code_verifier"], next_path=row["next_path"]
    )


async def remember_person(
    conn: Connection,
    account_id: str,
    subject: str,
    name: str | None,
    email: str | None,
    label: str,
) -> None:
    """Record who signed in (their name and e-mail as the provider last said)."""
    await conn.execute(
        """INSERT INTO console_people (account_id, subject, name, email, label)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (account_id, subject) DO UPDATE
           SET name = excluded.name, email = excluded.email, label = excluded.label,
               last_seen = now()""",
        account_id,
        subject,
        name,
        email,
        label,
    )


async def purge_sign_ins(conn: Connection) -> int:
    """Delete sign-ins that expired more than a day ago."""
    done = await conn.execute(
        "DELETE FROM console_sign_ins WHERE expires_at < now() - interval '1 day'"
    )
    return int(done.split()[-1])
