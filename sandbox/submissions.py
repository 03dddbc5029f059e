"""The submission body EntryGo posts to a broker, read and checked the way a broker would."""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

REJECT_MARKER = "SANDBOX-REJECT"
INVOICE_ARTIFACT = "cci_json"


class InvalidSubmissionError(ValueError):
    """A body that is not a submission at all (answered 400, never a business rejection)."""


@dataclass(frozen=True)
class Document:
    """One artifact of the customs package as the broker received it."""

    artifact_type: str
    filename: str
    content_type: str | None
    sha256: str
    content: bytes | None


@dataclass(frozen=True)
class SubmissionRequest:
    """A customs package submitted for filing."""

    submission_id: str
    callback_url: str
    export_id: str | None
    customs_package_id: str | None
    package_number: str | None
    account_id: str | None
    broker_id: str | None
    invoice: Any
    documents: tuple[Document, ...]
    amendment: int = 0
    amends: dict[str, Any] | None = None
    orders: Any = None

    @property
    def idempotency_key(self) -> str:
        """The key this delivery must carry: the submission id, then `<id>:A<n>`."""
        return idempotency_key_for(self.submission_id, self.amendment)


def idempotency_key_for(submission_id: str, amendment: int) -> str:
    """`<submissionId>` for the first send, `<submissionId>:A<n>` for amendment `n`."""
    return submission_id if amendment == 0 else f"{submission_id}:A{amendment}"


def lineage_of(idempotency_key: str) -> str:
    """The submission id an idempotency key belongs to (`sub_1:A2` → `sub_1`)."""
    head, separator, tail = idempotency_key.rpartition(":A")
    return head if separator and head and tail.isdigit() else idempotency_key


def submission_id_hint(body: bytes) -> str | None:
    """Best-effort submission id of any delivery, even one that will be refused."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    value = payload.get("submissionId") if isinstance(payload, dict) else None
    return value if isinstance(value, str) and value else None


def _optional_str(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise InvalidSubmissionError(f"{key} must be a string")
    return str(value)


def _document(index: int, item: Any) -> Document:
    if not isinstance(item, dict):
        raise InvalidSubmissionError(f"documents[{index}] must be an object")
    for key in ("artifact_type", "filename", "sha256"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise InvalidSubmissionError(f"documents[{index}].{key} must be a non-empty string")
    content: bytes | None = None
    encoded = item.get("contentBase64")
    if encoded is not None:
        if not isinstance(encoded, str):
            raise InvalidSubmissionError(f"documents[{index}].contentBase64 must be a string")
        try:
            content = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise InvalidSubmissionError(f"documents[{index}].contentBase64 is not base64") from exc
    content_type = item.get("contentType")
    return Document(
        artifact_type=item["artifact_type"],
        filename=item["filename"],
        content_type=content_type if isinstance(content_type, str) else None,
        sha256=item["sha256"].lower(),
        content=content,
    )


def parse_submission(body: bytes, idempotency_key: str | None) -> SubmissionRequest:
    """Read a submission body; raise `InvalidSubmissionError` when it is not one."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise InvalidSubmissionError("body is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidSubmissionError("body must be a JSON object")
    submission_id = payload.get("submissionId")
    if not isinstance(submission_id, str) or not submission_id:
        raise InvalidSubmissionError("submissionId must be a non-empty string")
    amendment = payload.get("amendment", 0)
    if isinstance(amendment, bool) or not isinstance(amendment, int) or amendment < 0:
        raise InvalidSubmissionError("amendment must be a whole number, 0 or more")
    expected_key = idempotency_key_for(submission_id, amendment)
    if idempotency_key is not None and idempotency_key != expected_key:
        if amendment == 0:
            raise InvalidSubmissionError("Idempotency-Key must equal submissionId")
        raise InvalidSubmissionError(f"Idempotency-Key must be {expected_key}")
    amends = payload.get("amends")
    if amends is not None and not isinstance(amends, dict):
        raise InvalidSubmissionError("amends must be an object")
    callback_url = payload.get("callbackUrl")
    if not isinstance(callback_url, str):
        raise InvalidSubmissionError("callbackUrl must be a string")
    parts = urlsplit(callback_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidSubmissionError("callbackUrl must be an absolute http(s) URL")
    documents = payload.get("documents", [])
    if not isinstance(documents, list):
        raise InvalidSubmissionError("documents must be a list")
    return SubmissionRequest(
        submission_id=submission_id,
        callback_url=callback_url,
        export_id=_optional_str(payload, "exportId"),
        customs_package_id=_optional_str(payload, "customsPackageId"),
        package_number=_optional_str(payload, "packageNumber"),
        account_id=_optional_str(payload, "accountId"),
        broker_id=_optional_str(payload, "brokerId"),
        invoice=payload.get("invoice"),
        documents=tuple(_document(i, item) for i, item in enumerate(documents)),
        amendment=amendment,
        amends=amends,
        orders=payload.get("orders"),
    )


def checksum_problem(request: SubmissionRequest) -> str | None:
    """Why the documents cannot be filed as sent (content not matching its sha256), if so."""
    for document in request.documents:
        if document.content is None:
            continue
        if hashlib.sha256(document.content).hexdigest() != document.sha256:
            return f"sha256 does not match the content of {document.filename}"
    return None


def carries_reject_marker(request: SubmissionRequest) -> bool:
    """Whether the invoice (the `invoice` field or the cci_json document) asks for rejection."""
    if REJECT_MARKER in json.dumps(request.invoice, ensure_ascii=False):
        return True
    return any(
        document.artifact_type == INVOICE_ARTIFACT
        and document.content is not None
        and REJECT_MARKER.encode() in document.content
        for document in request.documents
    )
