"""How a submission reaches a broker: a signed webhook or an email with the documents attached.

Before a webhook is POSTed its URL passes the outbound address policy again, after DNS
(`check_outbound`): the address may have changed since it was saved, or the row was written by
other means. Email goes through the configured SMTP relay (`SmtpRelay`: login, STARTTLS or
implicit TLS, a CA bundle of our choice).
"""

import base64
import functools
import json
import logging
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx

from activities.errors import broker_rejected, invalid_address, invalid_configuration, transient
from config.settings import Settings
from domain.addresses import url_origin
from signing import SIGNATURE_HEADER, sign
from store.records import ArtifactFile, ExportRecord, PackageRecord, SubmissionRecord
from store.resolver import Unresolved, outbound_refusal

log = logging.getLogger("entrygo.transports")

ATTACHED_TO_EMAIL = ("cci_pdf", "cci_csv", "packing_list")
_RETRYABLE_STATUS = {408, 425, 429}


async def check_outbound(url: str, allow_private: bool) -> None:
    """Refuse to call `url` when its host is or resolves to an address that is not public
    (unless ENTRYGO_ALLOW_PRIVATE_URLS): a final InvalidAddress naming the host and the address,
    for a person to fix the URL and retry. A name that does not resolve now is transient."""
    if allow_private:
        return
    try:
        reason = await outbound_refusal(url)
    except Unresolved as exc:
        raise transient(str(exc)) from exc
    if reason is not None:
        raise invalid_address(f"{reason}; only public addresses may be called")


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
    # messages end up in logs and the workflow's history: the origin only, never a path or query
    # that may carry a token
    where = url_origin(url)
    try:
        response = await http.post(
            url, content=body, headers=signed_headers(secret, body, idempotency_key)
        )
    except httpx.HTTPError as exc:
        raise transient(f"{type(exc).__name__} calling {where}") from exc
    if response.is_success:
        return response
    reason = _reason(response)
    if response.status_code >= 500 or response.status_code in _RETRYABLE_STATUS:
        raise transient(f"HTTP {response.status_code} from {where}: {reason}")
    if response.status_code == 401:
        raise invalid_configuration(f"{where} refused our signature: {reason}")
    if response.status_code in (404, 405, 410):
        raise invalid_address(f"HTTP {response.status_code} from {where}")
    raise broker_rejected(f"HTTP {response.status_code}: {reason}")


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("reason") or body.get("error") or body)[:500]
    return str(body)[:500]


@dataclass(frozen=True)
class Amendment:
    """Amendment `number` of a submission, and what it answers (docs/broker-protocol.md)."""

    number: int
    reason: str
    request_id: str | None = None

    def wire(self) -> dict[str, Any]:
        """The submission body's `amends`."""
        amends: dict[str, Any] = {"reason": self.reason}
        if self.request_id is not None:
            amends["requestId"] = self.request_id
        return amends


def webhook_payload(
    submission: SubmissionRecord,
    export: ExportRecord,
    package: PackageRecord,
    artifacts: dict[str, ArtifactFile],
    callback_url: str,
    orders: list[dict[str, Any]] | None = None,
    amendment: Amendment | None = None,
) -> dict[str, Any]:
    """What a webhook broker receives: the first send (`amendment` 0) or an amendment."""
    invoice = artifacts.get("cci_json")
    extra: dict[str, Any] = {"amendment": 0 if amendment is None else amendment.number}
    if amendment is not None:
        extra["amends"] = amendment.wire()
    if orders is not None:
        # the included orders as the account synced them (their metadata included)
        extra["orders"] = orders
    return {
        **extra,
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
    amendment: Amendment | None = None,
) -> EmailMessage:
    """The email to a broker: a short text and the invoice and packing list attached; an
    amendment says so in its subject and text, and is a message of its own."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = submission.recipient_email
    key = submission.id if amendment is None else f"{submission.id}:A{amendment.number}"
    subject = submission.subject or ""
    intro = ""
    if amendment is not None:
        subject = f"Amendment {amendment.number}: {subject}"
        intro = f"Amendment {amendment.number} of submission {submission.id}: {amendment.reason}\n"
        msg["X-EntryGo-Amendment"] = str(amendment.number)
    msg["Subject"] = subject
    msg["Message-ID"] = message_id_for(key)
    msg["X-EntryGo-Submission-Id"] = submission.id
    msg.set_content(
        intro + f"Customs entry package {package.package_number} for export "
        f"{submission.export_id}.\n"
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


@dataclass(frozen=True)
class SmtpRelay:
    """Where broker email goes, and how we authenticate there (ENTRYGO_SMTP_*).

    `starttls` upgrades a plain connection (and fails when the server does not offer it);
    `tls` speaks TLS from the first byte (port 465); neither: plain SMTP, never upgraded. The
    server certificate is verified against `ca_file` when given, else the system's store.
    """

    host: str
    port: int
    timeout: float
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr, a log or an error
    starttls: bool = False
    tls: bool = False
    ca_file: Path | None = None

    @classmethod
    def from_settings(cls, s: Settings) -> "SmtpRelay":
        """The relay the settings describe; ValueError (the worker does not start) when they
        contradict each other."""
        if s.smtp_tls and s.smtp_starttls:
            raise ValueError(
                "ENTRYGO_SMTP_TLS (TLS from the start, port 465) and ENTRYGO_SMTP_STARTTLS "
                "(upgrade a plain connection, port 587) exclude each other: set one"
            )
        if (s.smtp_username is None) != (s.smtp_password is None):
            raise ValueError(
                "ENTRYGO_SMTP_USERNAME and ENTRYGO_SMTP_PASSWORD are set together or not at all"
            )
        if s.smtp_ca_file is not None and not s.smtp_ca_file.is_file():
            raise ValueError(f"ENTRYGO_SMTP_CA_FILE {s.smtp_ca_file} is not a readable file")
        relay = cls(
            host=s.smtp_host,
            port=s.smtp_port,
            timeout=s.smtp_timeout_seconds,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            starttls=s.smtp_starttls,
            tls=s.smtp_tls,
            ca_file=s.smtp_ca_file,
        )
        if relay.username is not None and not (relay.tls or relay.starttls):
            log.warning(
                "SMTP login to %s:%s over a connection without TLS: the password crosses the "
                "network in the clear (set ENTRYGO_SMTP_STARTTLS or ENTRYGO_SMTP_TLS)",
                relay.host,
                relay.port,
            )
        return relay

    @functools.cached_property
    def tls_context(self) -> ssl.SSLContext | None:
        """The context that verifies the server's certificate and name (None without TLS); made
        once per relay, not per message (loading a CA store is not free)."""
        if not (self.tls or self.starttls):
            return None
        cafile = str(self.ca_file) if self.ca_file is not None else None
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)


_CAPABILITY_MISMATCH = (aiosmtplib.SMTPException, aiosmtplib.SMTPNotSupported)


def _certificate_failure(exc: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind an SMTP error (aiosmtplib wraps it), if there is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


async def send_email(msg: EmailMessage, relay: SmtpRelay) -> None:
    """Send through the relay. Final (no automatic retry; ATTENTION_REQUIRED, fixed by a person,
    then `retry`): a refused recipient (InvalidAddress); a login the relay refuses for good (5xx),
    a relay without the AUTH or STARTTLS we were told to use, a sender the relay refuses for
    good (5xx to MAIL FROM, e.g. 530 when it wants a login), a certificate that does not verify
    (InvalidConfiguration: our settings are wrong or the relay is not who it claims to be).
    Everything else (connection refused, timeouts, 4xx answers) is worth retrying."""
    where = f"{relay.host}:{relay.port}"
    try:
        await aiosmtplib.send(
            msg,
            hostname=relay.host,
            port=relay.port,
            timeout=relay.timeout,
            username=relay.username,
            password=relay.password,
            use_tls=relay.tls,
            start_tls=relay.starttls,
            tls_context=relay.tls_context,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise invalid_address(f"recipient refused: {exc}") from exc
    except aiosmtplib.SMTPAuthenticationError as exc:
        text = f"SMTP relay {where} refused the login of {relay.username!r}: {exc.code}"
        if exc.code >= 500:
            raise invalid_configuration(f"{text} (check ENTRYGO_SMTP_USERNAME/PASSWORD)") from exc
        raise transient(text) from exc
    except aiosmtplib.SMTPSenderRefused as exc:
        # 5xx to MAIL FROM: the relay will not take mail from us as configured (530: it wants a
        # login; 550/553: ENTRYGO_SMTP_FROM is not ours to use there)
        text = f"SMTP relay {where} refused the sender {exc.sender}: {exc.code} {exc.message}"
        if exc.code >= 500:
            raise invalid_configuration(text) from exc
        raise transient(text) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        tls = _certificate_failure(exc)
        if isinstance(tls, ssl.SSLCertVerificationError):
            raise invalid_configuration(
                f"SMTP relay {where}: its certificate does not verify ({tls.verify_message}); "
                "check ENTRYGO_SMTP_CA_FILE and ENTRYGO_SMTP_HOST"
            ) from exc
        if type(exc) in _CAPABILITY_MISMATCH:
            # aiosmtplib raises the bare SMTPException when the relay lacks what we were told
            # to use (STARTTLS, AUTH, an auth method we speak): retrying cannot change that
            raise invalid_configuration(f"SMTP relay {where}: {exc}") from exc
        raise transient(f"SMTP {type(exc).__name__}: {exc}") from exc
