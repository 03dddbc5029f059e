"""The review webhook: an account hears of a review that outlasted its deadline."""

import httpx
from temporalio import activity

from activities.transports import check_outbound, post_signed
from domain.activities import ActivityName
from domain.wire import rfc3339
from store.accounts import review_webhook
from store.db import Pool
from workflows.messages import ReviewOverdueInput

REVIEW_OVERDUE = "REVIEW_OVERDUE"


class ReviewActivities:
    """Tells the account's review webhook, signed like the broker webhooks (CONTRACT §11)."""

    def __init__(self, pool: Pool, http: httpx.AsyncClient, allow_private: bool = False) -> None:
        self.pool = pool
        self.http = http
        self.allow_private = allow_private

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
