"""The MID a plan builds for each line (us-2027.01) travels to the commercial invoice (HTML, CSV,
JSON; the PDF draws the same party block); a plan of an older pack, which builds none, shows none."""

import csv
import io
from datetime import date
from decimal import Decimal

from domain.documents.assembly import package_data
from domain.documents.render import render_artifacts
from domain.documents.sources import (
    BrokerSource,
    LineSource,
    OrderSource,
    PackageSource,
    WarehouseSource,
)
from domain.mid import manufacturer_id
from domain.planning.document import plan_document
from domain.planning.planner import plan
from domain.rulepack.model import load_rule_pack
from domain.screening.lists import ScreeningList
from tests.support.planning_builders import MAKER, snapshot

SCREENING = ScreeningList.of(date(2026, 12, 1), ())


def _package(version: str) -> dict[str, bytes]:
    snap = snapshot()
    screening = None
    if version == "us-2027.01":
        snap = snap.model_copy(update={"screening_list_version": SCREENING.version})
        screening = SCREENING
    outcome = plan(snap, load_rule_pack(version), date(2026, 12, 8), screening)
    document = plan_document("exp_1", None, outcome, "2026-12-08T10:00:00Z")
    source = PackageSource(
        warehouse=WarehouseSource(name="Hub", address={"line1": "Dock 1", "country": "PT"}),
        broker=BrokerSource(
            name="Broker", recipient_email="b@example.com", webhook_url=None, filer_code=None
        ),
        orders={
            "ord_1": OrderSource(
                id="ord_1",
                external_id="EXT-ord_1",
                consignee={"name": "Jane Doe", "address": "ord_1 Main Street"},
                destination_country="US",
                destination_region="NY",
                destination_postal_code="10001",
            )
        },
        lines=[
            LineSource(
                order_id="ord_1",
                product_id="prod_mug",
                sku="SKU-prod_mug",
                description="Glazed stoneware coffee mug, 350 ml",
                quantity=2,
                unit_value_usd=Decimal("15.00"),
                line_value_usd=Decimal("30.00"),
                hs_code="6912.00.4810",
                country_of_origin="PT",
                weight_kg=Decimal("0.400"),
                manufacturer=MAKER.model_dump(mode="json"),
            )
        ],
    )
    data = package_data(
        document,
        source,
        export_id="exp_1",
        destination_country="US",
        package_number="PKG-1",
        package_id="pkg_1",
    )
    return {a.filename: a.content for a in render_artifacts(data)}


MID = manufacturer_id(MAKER.name, MAKER.address, MAKER.city, MAKER.country)


def test_the_planned_mid_is_on_every_form_of_the_invoice() -> None:
    files = _package("us-2027.01")
    assert MID == "PTCERNOR12AVE"
    html = files["commercial_customs_invoice.html"].decode()
    assert f"MID: {MID}" in html
    (row,) = csv.DictReader(io.StringIO(files["commercial_customs_invoice.csv"].decode()))
    assert row["manufacturerIdentifier"] == MID
    assert MID.encode() in files["commercial_customs_invoice.json"]


def test_a_plan_of_an_older_pack_shows_no_mid() -> None:
    files = _package("us-2026.12")
    assert b"MID" not in files["commercial_customs_invoice.html"]
    assert MID.encode() not in files["commercial_customs_invoice.json"]
