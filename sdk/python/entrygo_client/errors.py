"""One exception for every failure the API or the network reports."""

from typing import Any


class EntryGoError(Exception):
    """An error answer of the API, with its contract body `{errorCode, message, field?,
    details?}` as `error_code`, `message`, `field`, `details`, the HTTP `status` and the
    `x-request-id` as `request_id`; or a network failure after the retries (`status` None,
    `error_code` "NETWORK_ERROR"). Branch on `status` and `error_code`, never on `message`."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        field: str | None = None,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.field = field
        self.details = details
        self.request_id = request_id

    def __str__(self) -> str:
        status = f"HTTP {self.status} " if self.status is not None else ""
        text = f"{status}{self.error_code or 'ERROR'}: {self.message}"
        if self.field:
            text += f" (field: {self.field})"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error_code={self.error_code!r}, "
            f"message={self.message!r}, field={self.field!r})"
        )


class WebhookVerificationError(EntryGoError):
    """A webhook whose signature header is missing or malformed, whose signature does not match,
    or whose timestamp is outside the tolerance (`reason`: missing, malformed, mismatch,
    expired)."""

    def __init__(self, message: str, reason: str = "mismatch") -> None:
        super().__init__(message, error_code="INVALID_SIGNATURE", details={"reason": reason})
        self.reason = reason


class WaitTimeout(EntryGoError):
    """`exports.wait` (or `run_export`) gave up before the export reached a wanted status; the
    last inspect view is in `last`."""

    def __init__(self, message: str, last: Any = None) -> None:
        status = getattr(last, "status", None)
        export_id = getattr(last, "exportId", None)
        super().__init__(
            message, error_code="WAIT_TIMEOUT", details={"exportId": export_id, "status": status}
        )
        self.last = last
