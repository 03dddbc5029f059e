"""The review webhook: an account hears of a review that outlasted its deadline; and the
escalation chain's e-mail to the account's leads."""

from email.message import EmailMessage
from email.utils import parseaddr

import httpx
from temporalio import activity

from activities.transports import SmtpRelay, check_outbound, post_signed, send_email
from domain.activities import ActivityName
from domain.wire import rfc3339
from store.accounts import review_webhook
from store.db import Pool
from store.review_escalation import escalation_chain
from store.review_work import holder_of
from workflows.messages import ReviewEscalationInput, ReviewOverdueInput

REVIEW_OVERDUE = "REVIEW_OVERDUE"


class ReviewActivities:
    """Tells the account's review webhook, signed like the broker webhooks (CONTRACT §11)."""

    def __init__(
        self,
        pool: Pool,
        http: httpx.AsyncClient,
        allow_private: bool = False,
        mail: tuple[SmtpRelay, str] | None = None,
    ) -> None:
        self.pool = pool
        self.http = http
        self.allow_private = allow_private
        self.mail = mail  # the relay and the sender of the escalation chain's e-mail

    @activity.defn(name=ActivityName.NOTIFY_REVIEW_OVERDUE)
    async def notify_review_overdue(self, inp: ReviewOverdueInput) -> str:
        """POST the overdue review to the account's webhook: DELIVERED, or NO_WEBHOOK when the
        account has none. The Idempotency-Key is the same on every attempt for this deadline."""
        async with self.pool.acquire() as conn:
            hook = await review_webhook(conn, inp.account_id)
        if hook is None:
            return "NO_WEBHOOK"
        payload = {
            "type": REVIEW_OVERDUE,
            "exportId": inp.export_id,
            "accountId": inp.account_id,
            "planHash": inp.plan_hash,
            "waitingSince": rfc3339(inp.waiting_since),
            "deadline": rfc3339(inp.deadline),
        }
        key = f"review-overdue-{inp.export_id}-{int(inp.deadline.timestamp() * 1000)}"
        # the address policy again, after DNS: a refusal is a non-retryable InvalidAddress
        await check_outbound(hook.url, self.allow_private)
        await post_signed(self.http, hook.url, hook.secret, payload, key)
        return "DELIVERED"

    @activity.defn(name=ActivityName.NOTIFY_REVIEW_ESCALATION)
    async def notify_review_escalation(self, inp: ReviewEscalationInput) -> str:
        """E-mail the account's leads and the review's assignee (when their label carries an
        address, as a person's "Name <email>" does) through the SMTP relay: SENT, or NO_ONE.
        The Message-ID is the same on every attempt for this deadline."""
        async with self.pool.acquire() as conn:
            chain = await escalation_chain(conn, inp.account_id)
            holder = await holder_of(conn, inp.export_id)
        to = list(chain.lead_emails) if chain is not None else []
        assignee = parseaddr(holder.label or "")[1] if holder is not None else ""
        if "@" in assignee and assignee not in to:
            to.insert(0, assignee)
        if not to or self.mail is None:
            return "NO_ONE"
        relay, sender = self.mail
        await send_email(escalation_email(inp, to, sender), relay)
        return "SENT"


def escalation_email(inp: ReviewEscalationInput, to: list[str], sender: str) -> EmailMessage:
    """The leads' e-mail for an overdue or escalated review."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    stamp = int(inp.deadline.timestamp() * 1000)
    msg["Message-ID"] = f"<{inp.kind.lower()}-{inp.export_id}-{stamp}@entrygo.reviews>"
    msg["X-EntryGo-Export-Id"] = inp.export_id
    if inp.kind == "REVIEW_OVERDUE":
        msg["Subject"] = f"Review overdue: export {inp.export_id}"
        text = "is still open after its review deadline"
    else:
        msg["Subject"] = f"Review escalated to the leads: export {inp.export_id}"
        text = "outlasted the escalation deadline and is now in the leads' queue"
    msg.set_content(
        f"The review of export {inp.export_id} (plan {inp.plan_hash}) {text} "
        f"({rfc3339(inp.deadline)}).\n"
    )
    return msg
