"""Deterministic broker references and US customs entry numbers derived from a submission id."""

import hashlib

FILER_CODE = "EGX"
SCENARIO_FILER_CODE = "SBX"


def _digest(kind: str, submission_id: str) -> bytes:
    return hashlib.sha256(f"{kind}:{submission_id}".encode()).digest()


def broker_reference(submission_id: str) -> str:
    """The reference the broker answers with, e.g. `BRK-3F9A0C12B7E4`."""
    return "BRK-" + _digest("reference", submission_id).hex()[:12].upper()


def luhn_check_digit(digits: str) -> int:
    """The mod-10 (Luhn) check digit appended to `digits`."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def entry_number(submission_id: str, filer: str = FILER_CODE) -> str:
    """The entry number filed for a submission: `<filer>-<7 digits>-<check digit>`."""
    serial = f"{int.from_bytes(_digest('entry', submission_id)[:8], 'big') % 10**7:07d}"
    return f"{filer}-{serial}-{luhn_check_digit(serial)}"
