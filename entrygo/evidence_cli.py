"""`entrygo evidence verify FILE [--key PEM]`: check an evidence pack offline (docs/evidence.md).

Checks, in order: the signature of `manifest.json` by the key (`--key`, else the key the pack
carries, whose id must then be compared with `GET /api/system/evidence-key`); every part's sha256
against the manifest, and no part beside them; each artifact against `artifacts.json`; the
planHash recomputed from `plan.json`'s inputs. Exit 0 when everything holds, 1 naming each part
that does not. Nothing is fetched.
"""

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from domain.evidence.pack import (
    ARTIFACTS,
    MANIFEST,
    PLAN,
    SIGNATURE,
    Manifest,
    Problem,
    Signature,
    check_artifacts,
    check_parts,
    check_plan,
    sha256_hex,
)
from signing import evidence as ed25519

evidence_app = typer.Typer(no_args_is_help=True, help="Evidence packs of exports.")


@dataclass
class Verdict:
    """What a check of a pack found: its problems, and the key it was checked with."""

    problems: list[Problem] = field(default_factory=list)
    key_id: str | None = None
    key_given: bool = False
    parts: int = 0
    plan_hash: str | None = None


def _files(data: bytes, verdict: Verdict) -> dict[str, bytes] | None:
    """The pack's parts by name; None (with a problem) when it is no zip, or names a part twice
    (zip tools differ in which of the two they extract)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                verdict.problems += [Problem(name, "appears twice in the pack") for name in twice]
                return None
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        verdict.problems.append(Problem("pack", "not a zip file"))
        return None


def _key(signature: Signature, key_pem: bytes | None, verdict: Verdict) -> bytes | None:
    """The public key to check with: `--key`, else the pack's own (its id must be its key's)."""
    try:
        carried = ed25519.public_from_pem(signature.public_key)
    except ed25519.KeyFormatError:
        verdict.problems.append(Problem(SIGNATURE, "its publicKey is not an Ed25519 key"))
        return None
    if ed25519.key_id(carried) != signature.key_id:
        verdict.problems.append(Problem(SIGNATURE, "its keyId is not its publicKey's"))
        return None
    if key_pem is None:
        return carried
    given = ed25519.public_from_pem(key_pem)
    if given != carried:
        verdict.problems.append(
            Problem(
                SIGNATURE,
                f"signed by key {signature.key_id}, not by the given key {ed25519.key_id(given)}",
            )
        )
        return None
    return given


def _signed(files: dict[str, bytes], key_pem: bytes | None, verdict: Verdict) -> Manifest | None:
    """The manifest, when the signature over its bytes holds (None, with problems, otherwise)."""
    raw_signature, raw_manifest = files.get(SIGNATURE), files.get(MANIFEST)
    if raw_signature is None or raw_manifest is None:
        missing = SIGNATURE if raw_signature is None else MANIFEST
        verdict.problems.append(Problem(missing, "missing from the pack"))
        return None
    try:
        signature = Signature.model_validate_json(raw_signature)
        signed = ed25519.decode_signature(signature.signature)
    except (ValidationError, ValueError):
        verdict.problems.append(Problem(SIGNATURE, "unreadable"))
        return None
    key = _key(signature, key_pem, verdict)
    if key is None:
        return None
    verdict.key_id = signature.key_id
    valid = ed25519.verify(key, raw_manifest, signed)
    described = sha256_hex(raw_manifest) == signature.manifest_sha256
    if not valid:
        # the signature.json that describes this very manifest carries a bad signature; else
        # the manifest is not the one signed
        part = SIGNATURE if described else MANIFEST
        verdict.problems.append(Problem(part, "signature invalid"))
        return None
    if not described:
        verdict.problems.append(Problem(SIGNATURE, "its manifestSha256 is not the manifest's"))
        return None
    try:
        manifest = Manifest.model_validate_json(raw_manifest)
    except ValidationError:
        verdict.problems.append(Problem(MANIFEST, "unreadable"))
        return None
    if manifest.key_id != signature.key_id:
        verdict.problems.append(Problem(MANIFEST, "its keyId is not the signing key's"))
        return None
    return manifest


def verify_pack(data: bytes, key_pem: bytes | None = None) -> Verdict:
    """Check a pack's bytes, offline: signature, digests, artifacts, planHash."""
    verdict = Verdict(key_given=key_pem is not None)
    files = _files(data, verdict)
    if files is None:
        return verdict
    manifest = _signed(files, key_pem, verdict)
    if manifest is None:
        return verdict  # an unsigned manifest vouches for nothing: the parts are not checked
    verdict.parts = len(manifest.parts)
    verdict.plan_hash = manifest.plan_hash
    verdict.problems += check_parts(manifest, files)
    if ARTIFACTS in files:
        verdict.problems += check_artifacts(files[ARTIFACTS], files)
    if PLAN in files:
        verdict.problems += check_plan(files[PLAN], manifest)
    # one line per part and message, in the order found
    verdict.problems = list(dict.fromkeys(verdict.problems))
    return verdict


@evidence_app.command("verify")
def evidence_verify(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="the pack (zip)")
    ],
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            exists=True,
            dir_okay=False,
            readable=True,
            help="the installation's public key (PEM, GET /api/system/evidence-key?format=pem); "
            "without it the key the pack carries is used, and its id must be compared",
        ),
    ] = None,
) -> None:
    """Verify an evidence pack offline; exit 1 naming each part that does not hold."""
    key_pem = key.read_bytes() if key is not None else None
    if key_pem is not None:
        try:
            ed25519.public_from_pem(key_pem)
        except ed25519.KeyFormatError as exc:
            raise typer.BadParameter(str(exc), param_hint="--key") from exc
    verdict = verify_pack(file.read_bytes(), key_pem)
    if verdict.problems:
        for problem in verdict.problems:
            typer.echo(str(problem))
        typer.echo(f"{file.name}: NOT verified ({len(verdict.problems)} problem(s))")
        raise typer.Exit(1)
    typer.echo(
        f"{file.name}: verified: {verdict.parts} parts, planHash {verdict.plan_hash}, "
        f"signed by key {verdict.key_id}"
    )
    if not verdict.key_given:
        typer.echo(
            f"key {verdict.key_id} is the one the pack carries: compare it with the keyId of "
            "GET /api/system/evidence-key (or pass --key)"
        )
