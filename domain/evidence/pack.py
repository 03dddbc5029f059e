"""An evidence pack's layout, and the checks of its parts that need no key (docs/evidence.md).

A pack is a zip of JSON parts and the export's artifacts. `manifest.json` lists every other part
with its sha256; `signature.json` holds the Ed25519 signature of the manifest's bytes (signing/
evidence.py makes and checks it). Everything here is pure: the parts are bytes handed in.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import ConfigDict, Field, ValidationError

from domain.planning.document import PlanDocument
from domain.planning.models import PlanningSnapshot
from domain.planning.plan_hash import data_plan_hash
from domain.rulepack.model import RulePackNotFoundError
from domain.wire import WireModel

FORMAT: Final = "entrygo-evidence/1"
PLAN = "plan.json"
RULES = "rules.json"
REVIEWS = "reviews.json"
ARTIFACTS = "artifacts.json"
BROKER = "broker.json"
ATTEMPTS = "attempts.json"
MANIFEST: Final = "manifest.json"
SIGNATURE = "signature.json"
ARTIFACT_DIR = "artifacts/"
DOCUMENT_DIR = "broker/documents/"
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Strict(WireModel):
    # a field nobody signed for, or one missing, makes the part unreadable
    model_config = ConfigDict(frozen=True, extra="forbid")


class ManifestPart(_Strict):
    """One part of the pack: its name in the zip, digest, size and media type."""

    name: str
    sha256: Sha256Hex
    size: int
    content_type: str


class Manifest(_Strict):
    """What the signature covers: the export, its plan, and every other part's digest."""

    format: Literal["entrygo-evidence/1"]
    export_id: str
    account_id: str
    plan_hash: str
    ruleset_version: str
    created_at: str
    key_id: str
    parts: list[ManifestPart]


class Signature(_Strict):
    """`signature.json`: the installation key's Ed25519 signature of the manifest's bytes, the
    key's id and its public key (compare it with `GET /api/system/evidence-key`)."""

    format: Literal["entrygo-evidence/1"]
    algorithm: Literal["Ed25519"]
    key_id: str
    signed_part: Literal["manifest.json"]
    manifest_sha256: Sha256Hex
    signature: str
    public_key: str


class PlanEvidence(WireModel):
    """`plan.json`: the plan's inputs and its outcome.

    `inputs` is the planning snapshot (orders, products, warehouse, broker, screening list
    version) read from the store when the pack was built (`inputs_read_at`): the store keeps the
    current version of orders and products, not the one planned. `inputs_plan_hash` is the
    planHash those inputs give; equal to `plan_hash` unless the data changed after planning.
    """

    model_config = ConfigDict(frozen=True)

    export_id: str
    plan_hash: str
    ruleset_version: str
    planned_at: str
    inputs_read_at: str
    inputs_plan_hash: str
    inputs: PlanningSnapshot
    plan: PlanDocument


class ArtifactEntry(WireModel):
    """One artifact of a customs package and the part that holds its bytes."""

    model_config = ConfigDict(frozen=True)

    part: str
    artifact_id: str
    artifact_type: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    generated_at: str
    package_id: str
    package_number: str
    plan_hash: str


class ArtifactsEvidence(WireModel):
    """`artifacts.json`: every artifact of every customs package of the export."""

    model_config = ConfigDict(frozen=True)

    export_id: str
    artifacts: list[ArtifactEntry]


@dataclass(frozen=True)
class Problem:
    """A check that failed, naming the part it failed on."""

    part: str
    message: str

    def __str__(self) -> str:
        return f"{self.part}: {self.message}"


def sha256_hex(data: bytes) -> str:
    """The lowercase hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def json_part(model: WireModel) -> bytes:
    """A model as a part's bytes (indented JSON, wire names, a final newline)."""
    return model.model_dump_json(indent=2).encode("utf-8") + b"\n"


def artifact_part(package_number: str, artifact_type: str, current: bool) -> str:
    """The part an artifact's bytes go in: `artifacts/<type>` for the current package,
    `artifacts/<package number>/<type>` for an earlier one."""
    if current:
        return f"{ARTIFACT_DIR}{artifact_type}"
    return f"{ARTIFACT_DIR}{package_number}/{artifact_type}"


def check_parts(manifest: Manifest, files: Mapping[str, bytes]) -> list[Problem]:
    """Every part the manifest lists is in the pack with its digest; nothing else is."""
    problems = []
    listed = set()
    for part in manifest.parts:
        listed.add(part.name)
        data = files.get(part.name)
        if data is None:
            problems.append(Problem(part.name, "missing from the pack"))
        elif sha256_hex(data) != part.sha256:
            problems.append(Problem(part.name, "sha256 mismatch"))
    problems += [
        Problem(name, "not in the manifest")
        for name in sorted(files)
        if name not in listed and name not in (MANIFEST, SIGNATURE)
    ]
    return problems


def recomputed_plan_hash(evidence: PlanEvidence) -> str:
    """The planHash of `plan.json`'s inputs, by the function execution checks a plan with
    (domain/planning/plan_hash.py: the plan's rule pack and plan date)."""
    return data_plan_hash(evidence.inputs, evidence.plan)


def check_plan(data: bytes, manifest: Manifest) -> list[Problem]:
    """`plan.json` reads, names the manifest's plan, and its inputs give its planHash."""
    try:
        evidence = PlanEvidence.model_validate_json(data)
    except ValidationError:
        return [Problem(PLAN, "unreadable")]
    problems = []
    if evidence.plan_hash != manifest.plan_hash or evidence.plan.plan_hash != manifest.plan_hash:
        problems.append(Problem(PLAN, "its planHash is not the manifest's"))
    try:
        recomputed = recomputed_plan_hash(evidence)
    except RulePackNotFoundError:
        version = evidence.plan.ruleset_version
        return [*problems, Problem(PLAN, f"rule pack {version} is not in this build")]
    if recomputed != evidence.plan.plan_hash:
        why = (
            "the orders or products changed after planning, and the store keeps only their "
            "current version"
            if recomputed == evidence.inputs_plan_hash
            else "the inputs are not the ones the pack was built from"
        )
        problems.append(
            Problem(
                PLAN,
                f"planHash does not match: the inputs give {recomputed}, the plan is "
                f"{evidence.plan.plan_hash} ({why})",
            )
        )
    return problems


def check_artifacts(data: bytes, files: Mapping[str, bytes]) -> list[Problem]:
    """Each artifact `artifacts.json` lists is in its part, with the sha256 stored for it."""
    try:
        evidence = ArtifactsEvidence.model_validate_json(data)
    except ValidationError:
        return [Problem(ARTIFACTS, "unreadable")]
    problems = []
    for entry in evidence.artifacts:
        content = files.get(entry.part)
        if content is None:
            problems.append(Problem(ARTIFACTS, f"{entry.part} is missing from the pack"))
        elif sha256_hex(content) != entry.sha256:
            problems.append(Problem(ARTIFACTS, f"{entry.part} is not the artifact stored"))
    return problems
