"""An account's own settings: where it hears of reviews past their deadline, and its review
escalation chain."""

from dataclasses import dataclass

from domain.approval import EscalationChain
from services.context import Context
from services.webhooks import check_outbound_url
from store import accounts, review_escalation


@dataclass(frozen=True)
class ReviewWebhookChange:
    """The review webhook to set (its URL and signing secret), or None for both to clear it."""

    url: str | None
    secret: str | None


async def set_review_webhook(ctx: Context, change: ReviewWebhookChange) -> None:
    """Set or clear the account's review webhook; its URL must reach a public address, as
    every URL we call on an account's behalf (`check_outbound_url`)."""
    if change.url is not None:
        await check_outbound_url(ctx.settings, change.url, "url")
    async with ctx.transaction() as conn:
        await accounts.set_review_webhook(conn, ctx.account_id, change.url, change.secret)


async def set_escalation_chain(ctx: Context, chain: EscalationChain | None) -> None:
    """Set (or clear) the account's escalation chain; exports planned from now on follow it."""
    async with ctx.transaction() as conn:
        await review_escalation.set_escalation_chain(conn, ctx.account_id, chain)


async def account_exists(ctx: Context) -> bool:
    """Whether the caller's account exists (an operator may name one that does not)."""
    async with ctx.connect() as conn:
        return await accounts.account_exists(conn, ctx.account_id)
