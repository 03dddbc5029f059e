"""An account's review escalation chain (domain.approval.EscalationChain), kept on the account."""

from domain.approval import EscalationChain
from store.db import Connection, Queries
from store.errors import NotFound


async def escalation_chain(conn: Queries, account_id: str) -> EscalationChain | None:
    """The account's chain, if one is set."""
    value = await conn.fetchval("SELECT review_escalation FROM accounts WHERE id = $1", account_id)
    return EscalationChain.model_validate(value) if value is not None else None


async def set_escalation_chain(
    conn: Connection, account_id: str, chain: EscalationChain | None
) -> None:
    """Set (or with None, clear) the account's chain."""
    done = await conn.execute(
        "UPDATE accounts SET review_escalation = $2 WHERE id = $1",
        account_id,
        chain.model_dump(mode="json") if chain is not None else None,
    )
    if done == "UPDATE 0":
        raise NotFound("account")


__all__ = ["escalation_chain", "set_escalation_chain"]
