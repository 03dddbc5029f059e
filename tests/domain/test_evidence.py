"""The evidence pack's pure parts: the rule → measure table, the manifest checks, the audit's rule
pack of a decision, and the Ed25519 key encoding (RFC 8037 vectors)."""

import base64
from datetime import date

import pytest

from domain.audit import decision_ruleset
from domain.evidence.pack import Manifest, ManifestPart, check_parts, sha256_hex
from domain.evidence.rules import RULE_MEASURES
from domain.planning.findings import RULES
from domain.rulepack.model import load_rule_pack, pack_for, shipped_versions
from signing import evidence as ed25519

# RFC 8037, appendix A.1 and A.3
RFC_PRIVATE = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_every_rule_of_the_table_is_a_rule_reading_measures_of_the_newest_pack() -> None:
    newest = load_rule_pack(shipped_versions()[-1])
    names = {name for name, _ in newest.dated_measures()}
    assert set(RULE_MEASURES) <= set(RULES)
    assert {m for measures in RULE_MEASURES.values() for m in measures} <= names


def _manifest(parts: dict[str, bytes]) -> Manifest:
    return Manifest(
        format="entrygo-evidence/1",
        export_id="exp_1",
        account_id="acc_1",
        plan_hash="sha256:" + "0" * 64,
        ruleset_version="us-2026.11",
        created_at="2026-12-01T00:00:00Z",
        key_id="k",
        parts=[
            ManifestPart(name=n, sha256=sha256_hex(d), size=len(d), content_type="x")
            for n, d in parts.items()
        ],
    )


def test_parts_are_checked_against_the_manifest() -> None:
    parts = {"plan.json": b"{}", "artifacts/cci_pdf": b"%PDF"}
    manifest = _manifest(parts)
    assert check_parts(manifest, {**parts, "manifest.json": b"", "signature.json": b""}) == []
    changed = {"plan.json": b"{ }", "extra": b"x"}
    found = [str(p) for p in check_parts(manifest, changed)]
    assert found == [
        "plan.json: sha256 mismatch",
        "artifacts/cci_pdf: missing from the pack",
        "extra: not in the manifest",
    ]


def test_a_decisions_rule_pack_is_its_plans() -> None:
    current = "sha256:" + "1" * 64
    assert decision_ruleset(current, current, "us-2027.01", None) == "us-2027.01"
    # an earlier plan: the pack effective on its plan date
    day = date(2026, 12, 1)
    assert decision_ruleset("sha256:" + "2" * 64, current, "x", day) == pack_for(day).version
    assert decision_ruleset(None, current, "x", None) is None


def test_the_key_id_is_the_rfc_7638_thumbprint() -> None:
    private = base64.urlsafe_b64decode(RFC_PRIVATE + "=")
    public = ed25519.public_of(private)
    assert ed25519.jwk(public) == {"crv": "Ed25519", "kty": "OKP", "x": RFC_X}
    assert ed25519.key_id(public) == RFC_THUMBPRINT


def test_signatures_verify_only_with_their_key_and_message() -> None:
    private, other = ed25519.new_private_key(), ed25519.new_private_key()
    public = ed25519.public_of(private)
    signature = ed25519.sign(private, b"manifest")
    assert ed25519.verify(public, b"manifest", signature)
    assert not ed25519.verify(public, b"manifest!", signature)
    assert not ed25519.verify(ed25519.public_of(other), b"manifest", signature)
    assert ed25519.public_from_pem(ed25519.public_pem(public)) == public
    text = ed25519.encode_signature(signature)
    assert ed25519.decode_signature(text) == signature


@pytest.mark.parametrize(
    "text", ["not a pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_a_pem_that_is_no_ed25519_key_is_refused(text: str) -> None:
    with pytest.raises(ed25519.KeyFormatError):
        ed25519.public_from_pem(text)
