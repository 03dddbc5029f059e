"""Evidence (docs/evidence.md): an export's signed evidence pack, and the installation's public
key that verifies it."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AnyRoleCall, PoolDep
from api.openapi import error_responses
from api.schemas.evidence import EvidenceKey
from services.evidence.keys import InstallationKeys
from services.evidence.pack import evidence_pack

router = APIRouter(prefix="/api", tags=["evidence"])

ZIP = "application/zip"
PEM = "application/x-pem-file"
KEY_HEADER = "EntryGo-Evidence-Key"


@router.get(
    "/exports/{export_id}/evidence",
    response_class=Response,
    responses={
        200: {
            "description": "The evidence pack (a zip); `entrygo evidence verify` checks it.",
            "content": {ZIP: {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(403),
    },
)
async def get_evidence_pack(export_id: str, ctx: AnyRoleCall) -> Response:
    """The export's evidence pack: plan and inputs, rules fired with their sources, reviews,
    artifacts, the broker's side, attempts, a manifest of every part's sha256 and its Ed25519
    signature."""
    pack = await evidence_pack(ctx, export_id)
    headers = {
        "Content-Disposition": f'attachment; filename="{pack.filename}"',
        KEY_HEADER: pack.key_id,
        "Cache-Control": "no-store",
    }
    return Response(pack.content, media_type=ZIP, headers=headers)


@router.get(
    "/system/evidence-key",
    response_model=EvidenceKey,
    responses={200: {"content": {PEM: {"schema": {"type": "string"}}}}},
)
async def get_evidence_key(
    pool: PoolDep,
    format_: Annotated[
        Literal["json", "pem"],
        Query(alias="format", description="`pem`: the public key alone, as a PEM file"),
    ] = "json",
) -> Response | EvidenceKey:
    """The installation's public evidence key (no API key needed): its id, the PEM and the JWK.
    A pack's `signature.json` names the key that signed it."""
    key = await InstallationKeys(pool).public()
    if format_ == "pem":
        return Response(key.public_key_pem, media_type=PEM, headers={KEY_HEADER: key.key_id})
    return key
