"""An export's evidence pack (docs/evidence.md): one zip of separate parts, each listed with its
sha256 in a manifest the installation's Ed25519 key signs."""

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from domain.audit import DECISION_TYPES, PLANNING_TYPES
from domain.destinations import DestinationKind, destination_id
from domain.evidence.pack import (
    ARTIFACTS,
    ATTEMPTS,
    BROKER,
    FORMAT,
    MANIFEST,
    PLAN,
    REVIEWS,
    RULES,
    SIGNATURE,
    Manifest,
    ManifestPart,
    PlanEvidence,
    Signature,
    json_part,
    sha256_hex,
)
from domain.evidence.rules import rules_evidence
from domain.planning.plan_hash import data_plan_hash
from domain.rulepack.model import load_rule_pack
from domain.wire import rfc3339
from services.context import Context
from services.evidence import parts
from services.evidence.audit import decision_view
from services.evidence.keys import InstallationKeys
from signing import evidence as ed25519
from store import audit, evidence, execution, exports
from store.audit import DecisionFilter
from store.reference import get_broker_row
from store.snapshots import export_snapshot

JSON = "application/json"
# an export's own log and decisions are small; the bound keeps a runaway one from the pack
MAX_EVENTS = 100_000
# zip entries carry no wall-clock time: the manifest says when the pack was made
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class EvidencePack:
    """The zip's bytes, its file name, and the key that signed it."""

    filename: str
    content: bytes
    key_id: str


@dataclass(frozen=True)
class _Part:
    name: str
    content_type: str
    data: bytes


def _zip(files: list[_Part]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in files:
            entry = zipfile.ZipInfo(part.name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, part.data)
    return buffer.getvalue()


def _planned_on(planned_at: str) -> date:
    return datetime.fromisoformat(planned_at.replace("Z", "+00:00")).date()


async def evidence_pack(ctx: Context, export_id: str) -> EvidencePack:
    """The export's evidence pack: plan, rules, reviews, artifacts, broker, attempts, manifest
    and signature (NotFound when the export is not the account's)."""
    async with ctx.connect() as conn:
        export = await exports.get_export(conn, ctx.account_id, export_id)
        read_at = await exports.database_now(conn)
        snapshot = await export_snapshot(conn, export)
        packages = await evidence.packages_of(conn, export.id)
        stored = await evidence.artifacts_of_packages(conn, [p.id for p in packages])
        decisions = await audit.decisions(
            conn,
            DecisionFilter(
                account_id=ctx.account_id,
                types=DECISION_TYPES,
                start=None,
                end=None,
                after=None,
                limit=MAX_EVENTS,
                export_id=export.id,
            ),
        )
        planning = await evidence.events_of_types(conn, export.id, list(PLANNING_TYPES))
        snapshots = await evidence.review_snapshots(conn, export.id)
        broker = await get_broker_row(conn, ctx.account_id, export.broker_id)
        submission = await execution.submission_of(conn, export.id)
        notifications = await execution.notifications_of(conn, export.id)
        amendments = await evidence.amendment_attempts(conn, export.id)
        documents = await evidence.answer_documents(conn, export.id)
        events = await exports.list_events(conn, export.id, 0, MAX_EVENTS)
        failures = await evidence.send_failures(
            conn,
            export.id,
            [
                destination_id(DestinationKind.BROKER, export.broker_id),
                destination_id(DestinationKind.WAREHOUSE, export.warehouse_id),
            ],
        )
        deliveries = await evidence.deliveries_of(conn, export.id)
    plan = export.plan
    plan_part = PlanEvidence(
        export_id=export.id,
        plan_hash=export.plan_hash,
        ruleset_version=plan.ruleset_version,
        planned_at=plan.planned_at,
        inputs_read_at=rfc3339(read_at),
        inputs_plan_hash=data_plan_hash(snapshot, plan),
        inputs=snapshot,
        plan=plan,
    )
    pack = load_rule_pack(plan.ruleset_version)
    artifacts, artifact_files = parts.artifacts_part(export, packages, stored)
    files = [
        _Part(PLAN, JSON, json_part(plan_part)),
        _Part(
            RULES,
            JSON,
            json_part(rules_evidence(plan, snapshot, pack, _planned_on(plan.planned_at))),
        ),
        _Part(
            REVIEWS,
            JSON,
            json_part(
                parts.reviews_part(
                    export, [decision_view(d) for d in decisions], planning, snapshots
                )
            ),
        ),
        _Part(ARTIFACTS, JSON, json_part(artifacts)),
        *(_Part(f.part, f.content_type, f.content) for f in artifact_files),
        _Part(
            BROKER,
            JSON,
            json_part(parts.broker_part(broker, submission, amendments, export, documents, events)),
        ),
        *(_Part(parts.document_part(d), d.content_type, d.content) for d in documents),
        _Part(
            ATTEMPTS,
            JSON,
            json_part(
                parts.attempts_part(
                    submission, notifications, amendments, failures, deliveries, events
                )
            ),
        ),
    ]
    key = await InstallationKeys(ctx.pool).current()
    manifest = json_part(
        Manifest(
            format=FORMAT,
            export_id=export.id,
            account_id=export.account_id,
            plan_hash=export.plan_hash,
            ruleset_version=plan.ruleset_version,
            created_at=rfc3339(read_at),
            key_id=key.id,
            parts=[
                ManifestPart(
                    name=f.name,
                    sha256=sha256_hex(f.data),
                    size=len(f.data),
                    content_type=f.content_type,
                )
                for f in files
            ],
        )
    )
    signature = json_part(
        Signature(
            format=FORMAT,
            algorithm="Ed25519",
            key_id=key.id,
            signed_part=MANIFEST,
            manifest_sha256=sha256_hex(manifest),
            signature=ed25519.encode_signature(ed25519.sign(key.private_key, manifest)),
            public_key=ed25519.public_pem(key.public_key),
        )
    )
    content = _zip([*files, _Part(MANIFEST, JSON, manifest), _Part(SIGNATURE, JSON, signature)])
    return EvidencePack(filename=f"evidence-{export.id}.zip", content=content, key_id=key.id)
