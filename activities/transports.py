"""How a submission reaches a broker: a signed webhook or an email with the documents attached."""

import base64
import json
import time
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx

from activities.errors import broker_rejected, invalid_address, invalid_configuration, transient
from signing import SIGNATURE_HEADER, sign
from store.records import ArtifactFile, ExportRecord, PackageRecord, SubmissionRecord

ATTACHED_TO_EMAIL = ("cci_pdf", "cci_csv", "packing_list")
_RETRYABLE_STATUS = {408, 425, 429}


def signed_headers(secret: str | None, body: bytes, idempotency_key: str) -> dict[str, str]:
    """Content type, idempotency key and (when there is a secret) the signature."""
    headers = {"content-type": "application/json", "Idempotency-Key": idempotency_key}
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body, int(time.time()))
    return headers


async def post_signed(
    http: httpx.AsyncClient,
    url: str,
    secret: str | None,
    payload: dict[str, Any],
    idempotency_key: str,
) -> httpx.Response:
    """POST a signed JSON payload; classify failures as transient or final."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    try:
        response = await http.post(
            url, content=body, headers=signed_headers(secret, body, idempotency_key)
        )
    except httpx.HTTPError as exc:
        raise transient(f"{type(exc).__name__} calling {url}") from exc
    if response.is_success:
        return response
    reason = _reason(response)
    if response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS:
        raise transient(f"HTTP {response.status_code} from {url}: {reason}")
    if response.status_code == 401:
        raise invalid_configuration(f"{url} refused our signature: {reason}")
    if response.status_code in (404, 405, 410):
        raise invalid_address(f"HTTP {response.status_code} from {url}")
    raise broker_rejected(f"HTTP {response.status_code}: {reason}")


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("reason") or body.get("error") or body)[:500]
    return str(body)[:500]


def webhook_payload(
    submission: SubmissionRecord,
    export: ExportRecord,
    package: PackageRecord,
    artifacts: dict[str, ArtifactFile],
    callback_url: str,
) -> dict[str, Any]:
    """What a webhook broker receives."""
    invoice = artifacts.get("cci_json")
    return {
        "submissionId": submission.id,
        "exportId": export.id,
        "customsPackageId": package.id,
        "packageNumber": package.package_number,
        "accountId": export.account_id,
        "brokerId": submission.broker_id,
        "callbackUrl": callback_url,
        "invoice": json.loads(invoice.content) if invoice else None,
        "documents": [
            {
                "artifact_type": a.artifact_type,
                "filename": a.filename,
                "contentType": a.content_type,
                "sha256": a.sha256,
                "contentBase64": base64.b64encode(a.content).decode(),
            }
            for a in sorted(artifacts.values(), key=lambda a: a.artifact_type)
        ],
    }


def message_id_for(submission_id: str) -> str:
    """A stable Message-ID: a resent email is recognisably the same message."""
    return f"<{submission_id}@entrygo.submissions>"


def broker_email(
    submission: SubmissionRecord,
    package: PackageRecord,
    artifacts: dict[str, ArtifactFile],
    sender: str,
) -> EmailMessage:
    """The email to a broker: a short text and the invoice and packing list attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = submission.recipient_email
    msg["Subject"] = submission.subject
    msg["Message-ID"] = message_id_for(submission.id)
    msg["X-EntryGo-Submission-Id"] = submission.id
    msg.set_content(
        f"Customs entry package {package.package_number} for export {submission.export_id}.\n"
        f"Submission id: {submission.id}\n"
        "The commercial invoice and the packing list are attached.\n" + _warnings_text(artifacts)
    )
    for kind in ATTACHED_TO_EMAIL:
        art = artifacts.get(kind)
        if art is None:
            continue
        maintype, _, subtype = art.content_type.split(";")[0].partition("/")
        msg.add_attachment(
            bytes(art.content), maintype=maintype, subtype=subtype, filename=art.filename
        )
    return msg


def _warnings_text(artifacts: dict[str, ArtifactFile]) -> str:
    """The invoice's warnings for the broker, one line each (empty when there are none)."""
    invoice = artifacts.get("cci_json")
    warnings = json.loads(invoice.content).get("warnings", []) if invoice else []
    if not warnings:
        return ""
    lines = [f"- {w['code']} (order {w.get('orderId') or 'all'}): {w['message']}" for w in warnings]
    return "\nWarnings for the broker:\n" + "\n".join(lines) + "\n"


async def send_email(msg: EmailMessage, host: str, port: int, limit_s: float) -> None:
    """Send over SMTP; a refused recipient is final, anything else is worth retrying."""
    try:
        await aiosmtplib.send(msg, hostname=host, port=port, timeout=limit_s)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise invalid_address(f"recipient refused: {exc}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise transient(f"SMTP {type(exc).__name__}: {exc}") from exc
