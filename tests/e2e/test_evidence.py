"""Evidence packs on the running stack (docs/evidence.md): an export planned REVIEW_REQUIRED,
approved through the API and executed to COMPLETED; its pack holds every part, `entrygo evidence
verify` passes on it and fails, naming the part, on any byte changed in any part, on a signature
by another key and on inputs that do not give the planHash. The public key endpoint serves the
key that verifies."""

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from signing import evidence as ed25519
from store import evidence
from tests.support.cli_runner import cli
from tests.support.stack import Stack, wait_status
from tests.support.tenants import GOOD_PRODUCT, World

JSON_PARTS = {
    "plan.json",
    "rules.json",
    "reviews.json",
    "artifacts.json",
    "broker.json",
    "attempts.json",
    "manifest.json",
    "signature.json",
}
COMMENT = "HTS checked with the broker"


@dataclass
class Reviewed:
    """A REVIEW_REQUIRED export approved through the API and completed, and its pack."""

    world: World
    export_id: str
    view: dict[str, Any]
    pack: bytes
    key_header: str


def _parts(pack: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(pack: bytes, change: Callable[[dict[str, bytes]], None]) -> bytes:
    """The pack with its parts changed by `change` (in place), zipped again."""
    parts = _parts(pack)
    change(parts)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _flip(data: bytes) -> bytes:
    """`data` with its middle byte changed (one bit)."""
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _resign(parts: dict[str, bytes], private_key: bytes) -> None:
    """Make the manifest list the parts as they are now and sign it with `private_key`."""
    manifest = json.loads(parts["manifest.json"])
    for entry in manifest["parts"]:
        data = parts[entry["name"]]
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["size"] = len(data)
    public = ed25519.public_of(private_key)
    manifest["keyId"] = ed25519.key_id(public)
    raw = json.dumps(manifest, indent=2).encode()
    parts["manifest.json"] = raw
    parts["signature.json"] = json.dumps(
        {
            "format": "entrygo-evidence/1",
            "algorithm": "Ed25519",
            "keyId": ed25519.key_id(public),
            "signedPart": "manifest.json",
            "manifestSha256": hashlib.sha256(raw).hexdigest(),
            "signature": ed25519.encode_signature(ed25519.sign(private_key, raw)),
            "publicKey": ed25519.public_pem(public),
        }
    ).encode()


async def _verify(tmp_path: Path, pack: bytes, key_pem: str | None = None) -> Any:
    path = tmp_path / "pack.zip"
    path.write_bytes(pack)
    args = ["evidence", "verify", str(path)]
    if key_pem is not None:
        key = tmp_path / "evidence-key.pem"
        key.write_text(key_pem)
        args += ["--key", str(key)]
    return await cli(*args)


@pytest_asyncio.fixture(scope="module")
async def reviewed(stack: Stack, pool: asyncpg.Pool) -> Reviewed:
    world = await stack.world(pool)
    auth = world.tenant.auth
    orders = await world.orders(stack.api, "SKU-SCARF-8")
    r = await stack.api.post("/api/exports/plan", headers=auth(), json=world.plan_body(orders))
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["readinessState"] == "REVIEW_REQUIRED"
    export_id = plan["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth("integration"), json=body)
    assert r.status_code == 202, r.text
    r = await stack.api.post(
        f"/api/exports/{export_id}/approve",
        headers=auth("reviewer"),
        json={"planHash": plan["planHash"], "comment": COMMENT},
    )
    assert r.status_code in (200, 202), r.text
    view = await wait_status(stack, auth(), export_id, {"COMPLETED"}, loops=900)
    r = await stack.api.get(f"/api/exports/{export_id}/evidence", headers=auth("integration"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    return Reviewed(world, export_id, view, r.content, r.headers["entrygo-evidence-key"])


async def _installation_pem(stack: Stack) -> str:
    r = await stack.api.get("/api/system/evidence-key", params={"format": "pem"})
    assert r.status_code == 200, r.text
    return r.text


async def test_the_pack_holds_every_part(reviewed: Reviewed) -> None:
    parts = _parts(reviewed.pack)
    view = reviewed.view
    artifacts = {f"artifacts/{a['artifact_type']}" for a in view["artifacts"]}
    assert len(artifacts) == 6
    assert set(parts) == JSON_PARTS | artifacts
    manifest = json.loads(parts["manifest.json"])
    assert {p["name"] for p in manifest["parts"]} == set(parts) - {
        "manifest.json",
        "signature.json",
    }
    assert manifest["planHash"] == view["planHash"]
    assert manifest["keyId"] == reviewed.key_header

    plan = json.loads(parts["plan.json"])
    assert plan["planHash"] == plan["plan"]["planHash"] == plan["inputsPlanHash"]
    assert plan["plan"]["rulesetVersion"] == view["plan"]["rulesetVersion"]
    assert set(plan["inputs"]["orders"]) == set(view["plan"]["included_order_ids"])
    assert plan["inputs"]["broker"]["id"] == reviewed.world.broker_id
    assert plan["inputs"]["warehouse"]["id"] == reviewed.world.warehouse_id
    assert plan["inputs"]["products"]

    rules = json.loads(parts["rules.json"])
    assert rules["rulesetVersion"] == view["plan"]["rulesetVersion"]
    fired = {r["ruleId"]: r for r in rules["fired"]}
    assert set(fired) == {m["ruleId"] for m in view["plan"]["validationMessages"]}
    sourced = [r for r in fired.values() if r["measures"]]
    assert sourced, fired
    assert all(m["sources"] and m["basis"] for r in sourced for m in r["measures"])

    reviews = json.loads(parts["reviews.json"])
    assert reviews["approval"]["state"] == "APPROVED"
    [approved] = [d for d in reviews["decisions"] if d["type"] == "EXPORT_APPROVED"]
    assert approved["planHash"] == view["planHash"]
    assert approved["rulesetVersion"] == view["plan"]["rulesetVersion"]
    assert approved["comment"] == COMMENT
    assert approved["keyId"] == view["approval"]["reviewer"]
    assert [p["planHash"] for p in reviews["plans"]] == [view["planHash"]]

    listed = json.loads(parts["artifacts.json"])["artifacts"]
    assert {(a["part"], a["sha256"]) for a in listed} == {
        (f"artifacts/{a['artifact_type']}", a["sha256"]) for a in view["artifacts"]
    }
    broker = json.loads(parts["broker.json"])
    assert broker["submission"]["id"] == view["brokerSubmission"]["id"]
    assert broker["submission"]["status"] == "ACCEPTED"
    assert "secret" not in parts["broker.json"].decode().lower()
    assert any(e["type"] == "BROKER_ACCEPTED" for e in broker["events"])
    attempts = json.loads(parts["attempts.json"])
    assert attempts["submission"]["attempts"] >= 1
    assert attempts["notification"] is not None
    assert attempts["covered"]
    assert attempts["notCovered"]


async def test_verify_passes_with_the_served_key_and_with_the_packs_own(
    stack: Stack, reviewed: Reviewed, tmp_path: Path
) -> None:
    result = await _verify(tmp_path, reviewed.pack, await _installation_pem(stack))
    assert result.exit_code == 0, result.output
    assert f"signed by key {reviewed.key_header}" in result.output
    own = await _verify(tmp_path, reviewed.pack)
    assert own.exit_code == 0, own.output
    assert "compare it with the keyId of GET /api/system/evidence-key" in own.output


async def test_a_byte_changed_in_any_part_fails_naming_that_part(
    stack: Stack, reviewed: Reviewed, tmp_path: Path
) -> None:
    key = await _installation_pem(stack)
    names = sorted(_parts(reviewed.pack))
    assert len(names) == len(JSON_PARTS) + 6
    for name in names:

        def flip(parts: dict[str, bytes], name: str = name) -> None:
            parts[name] = _flip(parts[name])

        for key_pem in (key, None):
            result = await _verify(tmp_path, _rewrite(reviewed.pack, flip), key_pem)
            assert result.exit_code == 1, (name, result.output)
            assert result.output.startswith(f"{name}: "), (name, result.output)


async def test_a_part_added_or_removed_fails_naming_it(
    stack: Stack, reviewed: Reviewed, tmp_path: Path
) -> None:
    key = await _installation_pem(stack)

    def add(parts: dict[str, bytes]) -> None:
        parts["artifacts/extra.pdf"] = b"%PDF-1.4 not ours"

    result = await _verify(tmp_path, _rewrite(reviewed.pack, add), key)
    assert result.exit_code == 1
    assert "artifacts/extra.pdf: not in the manifest" in result.output

    def remove(parts: dict[str, bytes]) -> None:
        del parts["artifacts/cci_pdf"]

    result = await _verify(tmp_path, _rewrite(reviewed.pack, remove), key)
    assert result.exit_code == 1
    assert "artifacts/cci_pdf: missing from the pack" in result.output


async def test_a_part_named_twice_fails(stack: Stack, reviewed: Reviewed, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plan.json", b'{"forged": true}')  # the copy some tools would extract
        for name, data in _parts(reviewed.pack).items():
            if name == "plan.json":
                with pytest.warns(UserWarning, match="Duplicate name"):
                    archive.writestr(name, data)
            else:
                archive.writestr(name, data)
    result = await _verify(tmp_path, buffer.getvalue(), await _installation_pem(stack))
    assert result.exit_code == 1
    assert result.output.startswith("plan.json: appears twice in the pack"), result.output
    result = await _verify(tmp_path, b"not a zip at all", await _installation_pem(stack))
    assert result.exit_code == 1
    assert result.output.startswith("pack: not a zip file")


async def test_a_signature_by_another_key_fails(
    stack: Stack, reviewed: Reviewed, tmp_path: Path
) -> None:
    installation = await _installation_pem(stack)
    other = ed25519.new_private_key()
    forged = _rewrite(reviewed.pack, lambda parts: _resign(parts, other))
    # the forged pack holds together by itself, but it is not the installation's
    assert (await _verify(tmp_path, forged)).exit_code == 0
    result = await _verify(tmp_path, forged, installation)
    assert result.exit_code == 1
    assert result.output.startswith("signature.json: signed by key ")
    # another key's signature beside the installation's public key and id
    original = json.loads(_parts(reviewed.pack)["signature.json"])
    forged_signature = json.loads(_parts(forged)["signature.json"])

    def swap(parts: dict[str, bytes]) -> None:
        parts["signature.json"] = json.dumps(
            {**original, "signature": forged_signature["signature"]}
        ).encode()

    for key_pem in (installation, None):
        result = await _verify(tmp_path, _rewrite(reviewed.pack, swap), key_pem)
        assert result.exit_code == 1
        assert result.output.startswith("signature.json: signature invalid"), result.output


async def test_inputs_that_do_not_give_the_plan_hash_fail_even_when_signed(
    stack: Stack, reviewed: Reviewed, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        key = await evidence.current_key(conn, "evidence")
    assert key is not None
    assert key.id == reviewed.key_header

    def change_inputs(parts: dict[str, bytes]) -> None:
        plan = json.loads(parts["plan.json"])
        for product in plan["inputs"]["products"].values():
            product["hsCode"] = "6117.10.6020"
        parts["plan.json"] = json.dumps(plan, indent=2).encode()
        _resign(parts, key.private_key)

    result = await _verify(
        tmp_path, _rewrite(reviewed.pack, change_inputs), await _installation_pem(stack)
    )
    assert result.exit_code == 1
    assert result.output.startswith("plan.json: planHash does not match"), result.output


async def test_a_product_changed_after_planning_shows_in_plan_json(
    stack: Stack, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    world = await stack.world(pool)
    auth = world.tenant.auth
    orders = await world.orders(stack.api, "SKU-SCARF")
    r = await stack.api.post("/api/exports/plan", headers=auth(), json=world.plan_body(orders))
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth(), json=body)
    assert r.status_code in (200, 202), r.text
    await wait_status(stack, auth(), export_id, {"COMPLETED"}, loops=900)
    product = {**GOOD_PRODUCT, "description": "Knitted scarf of merino and cashmere wool"}
    r = await stack.api.post(
        "/api/products/sync",
        headers=auth(),
        json={"accountId": world.tenant.account_id, "items": [product]},
    )
    assert r.status_code == 200, r.text
    r = await stack.api.get(f"/api/exports/{export_id}/evidence", headers=auth())
    plan = json.loads(_parts(r.content)["plan.json"])
    assert plan["inputsPlanHash"] != plan["planHash"]
    result = await _verify(tmp_path, r.content, await _installation_pem(stack))
    assert result.exit_code == 1
    assert result.output.startswith("plan.json: planHash does not match"), result.output
    assert "changed after planning" in result.output


async def test_the_key_endpoint_serves_the_key_that_verifies(
    stack: Stack, reviewed: Reviewed
) -> None:
    r = await stack.api.get("/api/system/evidence-key")  # no key: it is public
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["keyId"] == reviewed.key_header
    assert body["algorithm"] == "Ed25519"
    public = ed25519.public_from_pem(body["publicKeyPem"])
    assert ed25519.jwk(public)["x"] == body["jwk"]["x"]
    assert body["jwk"]["kid"] == ed25519.key_id(public) == body["keyId"]
    signature = json.loads(_parts(reviewed.pack)["signature.json"])
    manifest = _parts(reviewed.pack)["manifest.json"]
    assert ed25519.verify(public, manifest, ed25519.decode_signature(signature["signature"]))
    pem = await stack.api.get("/api/system/evidence-key", params={"format": "pem"})
    assert pem.headers["content-type"].startswith("application/x-pem-file")
    assert ed25519.public_from_pem(pem.text) == public


async def test_another_accounts_export_has_no_pack(
    stack: Stack, reviewed: Reviewed, pool: asyncpg.Pool
) -> None:
    other = await stack.world(pool)
    for role in ("integration", "reviewer", "admin", "all"):
        r = await stack.api.get(
            f"/api/exports/{reviewed.export_id}/evidence", headers=other.tenant.auth(role)
        )
        assert r.status_code == 404, r.text
        assert r.json()["errorCode"] == "NOT_FOUND"
        assert reviewed.export_id not in r.text
    r = await stack.api.get(f"/api/exports/{reviewed.export_id}/evidence")
    assert r.status_code == 401


@pytest.mark.parametrize("role", ["integration", "reviewer", "admin"])
async def test_every_role_reads_the_pack(stack: Stack, reviewed: Reviewed, role: str) -> None:
    r = await stack.api.get(
        f"/api/exports/{reviewed.export_id}/evidence", headers=reviewed.world.tenant.auth(role)
    )
    assert r.status_code == 200, r.text
    assert set(_parts(r.content)) == set(_parts(reviewed.pack))
