"""`manifest`: the package's inventory: every other artifact with its SHA-256 and size, and the
orders it covers with their consignee and entry type."""

from domain.documents.consignee import consignee_block
from domain.documents.formatting import canonical_json, format_instant
from domain.documents.models import CustomsPackageData, RenderedArtifact

ARTIFACT_TYPE = "manifest"
FILENAME = "manifest.json"
CONTENT_TYPE = "application/json"


def render_manifest(
    data: CustomsPackageData, artifacts: list[RenderedArtifact]
) -> RenderedArtifact:
    """List `artifacts` in the given order; the manifest does not list itself."""
    document = {
        "documentType": "MANIFEST",
        "packageNumber": data.package_number,
        "customsPackageId": data.customs_package_id,
        "exportId": data.export_id,
        "planHash": data.plan_hash,
        "rulesetVersion": data.ruleset_version,
        "issuedAt": format_instant(data.issued_at),
        "orders": [
            {
                "orderId": order.order_id,
                "orderExternalId": order.order_external_id,
                "entryType": order.entry_type,
                "consignee": consignee_block(order).model_dump(mode="json"),
            }
            for order in data.orders
        ],
        "artifacts": [
            {
                "artifact_type": artifact.artifact_type,
                "filename": artifact.filename,
                "contentType": artifact.content_type,
                "sha256": artifact.sha256,
                "sizeBytes": artifact.size_bytes,
            }
            for artifact in artifacts
        ],
    }
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, canonical_json(document))
