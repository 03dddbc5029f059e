"""The evidence pack's signature (docs/evidence.md): Ed25519 over the manifest's bytes.

Keys travel as raw 32-byte values; the public key is shown as PEM (SubjectPublicKeyInfo) and as
a JWK, and is named by its RFC 7638 thumbprint. Pure apart from `new_private_key`, which draws
from the operating system's randomness.
"""

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "Ed25519"


class KeyFormatError(ValueError):
    """A PEM text that is not an Ed25519 public key."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_private_key() -> bytes:
    """A fresh private key (raw 32 bytes)."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def public_of(private_key: bytes) -> bytes:
    """The public key (raw 32 bytes) of a private key."""
    return (
        Ed25519PrivateKey.from_private_bytes(private_key)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


def sign(private_key: bytes, message: bytes) -> bytes:
    """The 64-byte signature of `message`."""
    return Ed25519PrivateKey.from_private_bytes(private_key).sign(message)


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is the key's signature of `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_pem(public_key: bytes) -> str:
    """The public key as PEM (`-----BEGIN PUBLIC KEY-----`)."""
    return (
        Ed25519PublicKey.from_public_bytes(public_key)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def public_from_pem(text: str | bytes) -> bytes:
    """The raw public key of a PEM text; KeyFormatError when it is not an Ed25519 public key."""
    data = text.encode("ascii", errors="replace") if isinstance(text, str) else text
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError("not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFormatError("not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk(public_key: bytes) -> dict[str, str]:
    """The public key as a JWK (RFC 8037): `{kty: OKP, crv: Ed25519, x}`."""
    return {"crv": ALGORITHM, "kty": "OKP", "x": _b64url(public_key)}


def key_id(public_key: bytes) -> str:
    """The key's id: its RFC 7638 JWK thumbprint (SHA-256 of the JWK's required members)."""
    members = json.dumps(jwk(public_key), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(members.encode("ascii")).digest())


def encode_signature(signature: bytes) -> str:
    """A signature as base64 (standard alphabet, padded)."""
    return base64.b64encode(signature).decode("ascii")


def decode_signature(text: str) -> bytes:
    """A signature from base64; ValueError when it is not valid base64 of 64 bytes."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) != 64:
        raise ValueError("an Ed25519 signature is 64 bytes")
    return raw
