"""API key format and hashing: only the SHA-256 of a key is ever stored."""

import hashlib
import secrets
import string

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ROLES = ("integration", "reviewer", "admin")
KEY_BODY_LENGTH = 32


def generate_key(*, live: bool = True) -> str:
    """A new secret key: `eg_live_` or `eg_test_` followed by 32 random base62 characters."""
    body = "".join(secrets.choice(BASE62) for _ in range(KEY_BODY_LENGTH))
    return ("eg_live_" if live else "eg_test_") + body


def hash_key(key: str) -> bytes:
    """SHA-256 of the key as stored."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def display_prefix(key: str) -> str:
    """The part of a key safe to show in listings (`eg_live_AbCd…`)."""
    return key[:12]
