"""`entrygo screening`: a dated Consolidated Screening List imported from its published file,
against the test database; planning screens against the newest version."""

from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest

from domain.screening.csl import load_csl
from entrygo.seed import SEED_SCREENING_DATE, SEED_SCREENING_LIST
from store import screening
from tests.support.cli_runner import cli, output
from tests.support.exports_api import plan
from tests.support.tenants import World

HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
    "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,"
    "vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,"
    "source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,"
    "source_information_url,ids"
)
OLD_LIST = (
    HEADER
    + "\n"
    + '"cli-1","Entity List (EL) - Bureau of Industry and Security","","","","Cli Test Trading'
    + ' Ltd","","","","","","","","","","","","","","","","","Cli Test Trade","","","","","",""\n'
)


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.delenv("ENTRYGO_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)


async def test_an_older_list_is_imported_once_and_the_newest_stays_current(
    tmp_path: Path, pool: asyncpg.Pool
) -> None:
    path = tmp_path / "consolidated.csv"
    path.write_text(OLD_LIST, encoding="utf-8")
    first = output(await cli("screening", "import", str(path), "--date", "2020-01-02"))
    assert first["version"].startswith("csl-2020-01-02-")
    assert (first["entries"], first["created"]) == (1, True)
    again = output(await cli("screening", "import", str(path), "--date", "2020-01-02"))
    assert again == {**first, "created": False}
    listed = output(await cli("screening", "list"))
    versions = [v["version"] for v in listed]
    # the seed list (2026-12-07) stays the one planning uses; the 2020 list comes after it
    assert versions.index(first["version"]) > 0
    assert listed[0]["listDate"] == SEED_SCREENING_DATE.isoformat()
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT name, alt_names FROM screening_entries WHERE version = $1", first["version"]
        )
    assert [(r["name"], list(r["alt_names"])) for r in rows] == [
        ("Cli Test Trading Ltd", ["Cli Test Trade"])
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        ("just,some,columns\n1,2,3\n", "name"),
        ('{"results": [{"source": "SDN"}]}', "name"),
    ],
)
async def test_a_file_that_is_not_the_list_is_refused_and_nothing_is_written(
    tmp_path: Path, pool: asyncpg.Pool, content: str, problem: str
) -> None:
    async with pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM screening_lists")
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = await cli("screening", "import", str(path), "--date", "2020-01-03")
    assert result.exit_code == 2
    assert problem in result.output.lower()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM screening_lists") == before


async def test_a_bad_date_is_the_options_error(tmp_path: Path) -> None:
    path = tmp_path / "consolidated.csv"
    path.write_text(OLD_LIST, encoding="utf-8")
    result = await cli("screening", "import", str(path), "--date", "2020-13-01")
    assert result.exit_code == 2
    assert "--date" in result.output


async def test_a_newer_list_becomes_the_one_planning_uses(pool: asyncpg.Pool) -> None:
    entries = tuple(e for e in load_csl(SEED_SCREENING_LIST.read_bytes()) if "AIR" in e.name)
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            saved, created = await screening.save_list(conn, date(2099, 1, 1), "newer", entries)
            assert created
            assert await screening.current_version(conn) == saved.version
            loaded = await screening.load_list(conn, saved.version)
            assert loaded.version == saved.version
            assert [e.name for e in entries] == ["MAHAN AIR"]
            assert loaded.match("Mahan Airlines", 0.8)[0].entry_id == entries[0].entry_id
        finally:
            await tx.rollback()
        assert await screening.current_version(conn) != saved.version


async def test_a_plan_screens_the_consignee_against_the_loaded_list(
    http: httpx.AsyncClient, world: World
) -> None:
    items = [
        {
            "externalId": "O-SCREEN-1",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": "Rosoboronexport JSC", "address": "1 Main St, New York"},
            "items": [{"productId": world.products["SKU-SCARF"], "quantity": 1}],
        }
    ]
    r = await http.post(
        "/api/orders/sync",
        json={"accountId": world.tenant.account_id, "items": items},
        headers=world.tenant.auth(),
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["data"][0]["id"]
    r = await plan(http, world, [order_id], dryRun=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rulesetVersion"] == "us-2027.01"
    assert body["screeningListVersion"].startswith(f"csl-{SEED_SCREENING_DATE.isoformat()}-")
    assert body["excluded_order_ids"] == [order_id]
    (match,) = [m for m in body["validationMessages"] if m["code"] == "DENIED_PARTY_MATCH"]
    assert "Specially Designated Nationals" in match["message"]
    assert "seed-sdn-rosoboronexport" in match["message"]
    (decision,) = body["decisions"]
    assert decision["lines"][0]["manufacturerId"] == "SEATENOR1MAL"
