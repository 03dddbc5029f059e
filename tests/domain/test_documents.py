"""Customs package artifacts: contents, escaping and byte-for-byte determinism."""

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from domain.documents.invoice_csv import HEADER
from domain.documents.models import (
    CustomsPackageData,
    InvoiceLine,
    PackageFlag,
    PackageOrder,
    PackageWarning,
    Party,
    RenderedArtifact,
)
from domain.documents.pdf_table import CLIPPED
from domain.documents.pdf_text import to_latin1
from domain.documents.render import ARTIFACT_TYPES, render_artifacts

ROOT = Path(__file__).resolve().parents[2]
ISSUED_AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
HOSTILE = 'Mug <script>alert("x")</script>, "Café – 東京"\nline two; it\'s 100% =SUM(A1)'
EXPORTER = Party(
    name="EntryGo Warehouse Leipzig GmbH",
    address="Am Exportplatz 1\n04109 Leipzig",
    country="DE",
    identifier="DE123456789",
)
BROKER = Party(
    name="Acme Customs Brokers LLC",
    address="1 Broker Way\nJamaica, NY 11430",
    country="US",
    identifier="filer A1B",
)
CONSIGNEE = Party(name="Jane O'Doe & Co", address="5 Main St, Apt 2\nSpringfield, IL 62701")
MAKER = Party(
    name="Atelier Café <Tokyo> Ltd.",
    address="1-2-3 Shibuya\nTokyo 150-0002",
    country="JP",
    identifier="JPATECAF123TOK",
)
FLAG_ORDER_PRODUCT = PackageFlag(
    code="PGA_FDA_PRIOR_NOTICE",
    message="FDA prior notice needed",
    orderIds=["ord_2"],
    productIds=["prod_tea"],
)
FLAG_PACKAGE = PackageFlag(code="SECTION_301_REVIEW", message="Check <b>301</b> & 232 duties")


def build_package(**overrides: Any) -> CustomsPackageData:
    """A two-order package with hostile text, built fresh on every call."""
    mug = InvoiceLine(
        lineNo=1,
        orderId="ord_1",
        orderExternalId="SHOP-1001",
        productId="prod_mug",
        sku="MUG-01",
        description=HOSTILE,
        quantity=7,
        unitValueUsd=Decimal("12.5"),
        lineValueUsd=Decimal("87.50"),
        hsCode="6912004400",
        countryOfOrigin="JP",
        manufacturer=MAKER,
        weightKg=Decimal("0.35"),
    )
    tea = InvoiceLine(
        lineNo=1,
        orderId="ord_2",
        orderExternalId="SHOP-1002",
        productId="prod_tea",
        sku="TEA-02",
        description="Green tea, loose leaf, 100 g tin",
        quantity=2,
        unitValueUsd=Decimal("9.99"),
        lineValueUsd=Decimal("19.98"),
        hsCode=None,
        countryOfOrigin=None,
        manufacturer=None,
        weightKg=None,
    )
    spoon = tea.model_copy(
        update={
            "line_no": 2,
            "product_id": "prod_spoon",
            "sku": "SPOON-3",
            "description": "Tea spoon, stainless steel",
            "quantity": 3,
            "unit_value_usd": Decimal("1.1"),
            "line_value_usd": Decimal("3.3"),
            "hs_code": "8215990100",
            "country_of_origin": "CN",
            "weight_kg": Decimal("0.02"),
        }
    )
    fields: dict[str, Any] = {
        "packageNumber": "CP-2026-000123",
        "customsPackageId": "cp_01JDOCS",
        "exportId": "exp_01JDOCS",
        "planHash": "sha256:" + "ab" * 32,
        "rulesetVersion": "us-2026.11.1",
        "issuedAt": ISSUED_AT,
        "exporter": EXPORTER,
        "broker": BROKER,
        "destinationCountry": "US",
        "portOfEntry": "4701 JFK Airport",
        "strategyCode": "CONSOLIDATED_FORMAL",
        "orders": [
            PackageOrder(
                orderId="ord_1",
                orderExternalId="SHOP-1001",
                consignee=CONSIGNEE,
                destinationCountry="US",
                destinationRegion="IL",
                destinationPostalCode="62701",
                entryType="01",
                lines=[mug],
            ),
            PackageOrder(
                orderId="ord_2",
                orderExternalId="SHOP-1002",
                consignee=None,
                destinationCountry="US",
                lines=[tea, spoon],
            ),
        ],
        "flags": [FLAG_ORDER_PRODUCT, FLAG_PACKAGE],
    }
    fields.update(overrides)
    return CustomsPackageData(**fields)


def by_type(artifacts: list[RenderedArtifact]) -> dict[str, RenderedArtifact]:
    return {artifact.artifact_type: artifact for artifact in artifacts}


def rendered(data: CustomsPackageData, artifact_type: str) -> bytes:
    return by_type(render_artifacts(data))[artifact_type].content


def invoice_json(data: CustomsPackageData) -> Any:
    return json.loads(rendered(data, "cci_json"))


def pdf_text(content: bytes) -> str:
    """The text of every `(...) Tj` in the PDF's content streams, one string per draw."""
    parts: list[str] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.DOTALL):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            continue
        for match in re.finditer(rb"\(((?:\\.|[^\\)])*)\) Tj", data):
            parts.append(re.sub(rb"\\(.)", rb"\1", match.group(1)).decode("latin-1"))
    return "\n".join(parts)


def squeezed(text: str) -> str:
    """Text without whitespace: PDF wrapping only ever splits at or inside words."""
    return re.sub(r"\s+", "", text)


# --- shape and determinism ---------------------------------------------------------------


def test_render_returns_the_six_artifacts_in_contract_order() -> None:
    artifacts = render_artifacts(build_package())

    assert [(a.artifact_type, a.filename, a.content_type) for a in artifacts] == [
        ("cci_human_readable", "commercial_customs_invoice.html", "text/html; charset=utf-8"),
        ("cci_csv", "commercial_customs_invoice.csv", "text/csv"),
        ("cci_json", "commercial_customs_invoice.json", "application/json"),
        ("cci_pdf", "commercial_customs_invoice.pdf", "application/pdf"),
        ("packing_list", "packing_list.json", "application/json"),
        ("manifest", "manifest.json", "application/json"),
    ]
    assert tuple(a.artifact_type for a in artifacts) == ARTIFACT_TYPES


@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_rendering_twice_gives_identical_bytes(artifact_type: str) -> None:
    data = build_package()

    assert rendered(data, artifact_type) == rendered(data, artifact_type)
    assert rendered(build_package(), artifact_type) == rendered(data, artifact_type)


def test_input_round_tripped_through_json_renders_the_same_bytes() -> None:
    data = build_package()
    again = CustomsPackageData.model_validate_json(data.model_dump_json())

    assert render_artifacts(again) == render_artifacts(data)


def test_another_process_with_other_hash_seed_and_time_zone_renders_the_same_bytes() -> None:
    data = build_package()
    script = (
        "import sys\n"
        "from domain.documents.models import CustomsPackageData\n"
        "from domain.documents.render import render_artifacts\n"
        "data = CustomsPackageData.model_validate_json(sys.stdin.buffer.read())\n"
        "print(' '.join(a.sha256 for a in render_artifacts(data)))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242", "TZ": "Pacific/Kiritimati"}

    result = subprocess.run(
        [sys.executable, "-c", script],
        input=data.model_dump_json().encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
        env=env,
    )

    assert result.stdout.decode().split() == [a.sha256 for a in render_artifacts(data)]


def test_issued_at_is_normalised_to_utc_so_equal_instants_render_equal_bytes() -> None:
    naive = build_package(issuedAt=ISSUED_AT.replace(tzinfo=None))
    tokyo = build_package(issuedAt=ISSUED_AT.astimezone(timezone(timedelta(hours=9))))

    assert render_artifacts(naive) == render_artifacts(build_package())
    assert render_artifacts(tokyo) == render_artifacts(build_package())


@pytest.mark.parametrize("artifact_type", ARTIFACT_TYPES)
def test_sha256_and_size_describe_the_content(artifact_type: str) -> None:
    artifact = by_type(render_artifacts(build_package()))[artifact_type]

    assert artifact.sha256 == hashlib.sha256(artifact.content).hexdigest()
    assert artifact.size_bytes == len(artifact.content)


def test_rendered_artifact_carries_binary_content_through_json_as_base64() -> None:
    pdf = by_type(render_artifacts(build_package()))["cci_pdf"]

    again = RenderedArtifact.model_validate_json(pdf.model_dump_json())

    assert again == pdf


def test_manifest_lists_the_five_other_artifacts_with_their_hashes() -> None:
    artifacts = render_artifacts(build_package())
    manifest = json.loads(artifacts[-1].content)

    assert manifest["packageNumber"] == "CP-2026-000123"
    assert manifest["exportId"] == "exp_01JDOCS"
    assert manifest["planHash"] == "sha256:" + "ab" * 32
    assert manifest["artifacts"] == [
        {
            "artifact_type": a.artifact_type,
            "filename": a.filename,
            "contentType": a.content_type,
            "sha256": a.sha256,
            "sizeBytes": a.size_bytes,
        }
        for a in artifacts[:-1]
    ]


def test_manifest_hash_changes_when_any_listed_artifact_changes() -> None:
    base = render_artifacts(build_package())
    changed = render_artifacts(build_package(planHash="sha256:" + "cd" * 32))

    assert base[-1].sha256 != changed[-1].sha256
    assert all(b.sha256 != c.sha256 for b, c in zip(base[:-1], changed[:-1], strict=True))


def test_json_documents_use_sorted_keys_and_stable_formatting() -> None:
    artifacts = by_type(render_artifacts(build_package()))
    for artifact_type in ("cci_json", "packing_list", "manifest"):
        content = artifacts[artifact_type].content
        document = json.loads(content)

        canonical = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert content == canonical.encode("utf-8")


# --- the invoice forms --------------------------------------------------------------------

ElementLookup = Callable[[Any], Any]

ELEMENTS_141_86: list[tuple[str, str, ElementLookup]] = [
    ("port of entry (a)(1)", "4701 JFK Airport", lambda j: j["portOfEntry"]),
    ("seller/shipper name (a)(2)", EXPORTER.name, lambda j: j["exporter"]["name"]),
    ("seller/shipper address (a)(2)", EXPORTER.address, lambda j: j["exporter"]["address"]),
    ("consignee name (a)(2)", CONSIGNEE.name, lambda j: j["orders"][0]["consignee"]["name"]),
    (
        "consignee address (a)(2)",
        CONSIGNEE.address,
        lambda j: j["orders"][0]["consignee"]["address"],
    ),
    ("invoice date (a)(2)", "2026-11-26T10:00:00Z", lambda j: j["invoiceDate"]),
    ("broker name", BROKER.name, lambda j: j["broker"]["name"]),
    ("broker address", BROKER.address, lambda j: j["broker"]["address"]),
    ("description (a)(3)", HOSTILE, lambda j: j["orders"][0]["lines"][0]["description"]),
    ("sku (a)(3)", "MUG-01", lambda j: j["orders"][0]["lines"][0]["sku"]),
    ("quantity (a)(4)", "7", lambda j: str(j["orders"][0]["lines"][0]["quantity"])),
    ("unit value (a)(5)", "12.50", lambda j: j["orders"][0]["lines"][0]["unitValueUsd"]),
    ("line value (a)(5)", "87.50", lambda j: j["orders"][0]["lines"][0]["lineValueUsd"]),
    ("currency (a)(7)", "USD", lambda j: j["currency"]),
    ("country of origin (a)(10)", "JP", lambda j: j["orders"][0]["lines"][0]["countryOfOrigin"]),
    ("HTS number", "6912004400", lambda j: j["orders"][0]["lines"][0]["hsCode"]),
    ("manufacturer name", MAKER.name, lambda j: j["orders"][0]["lines"][0]["manufacturer"]["name"]),
    (
        "manufacturer address",
        MAKER.address,
        lambda j: j["orders"][0]["lines"][0]["manufacturer"]["address"],
    ),
    ("total value", "110.78", lambda j: j["totals"]["valueUsd"]),
    ("total quantity", "12", lambda j: str(j["totals"]["quantity"])),
    ("total weight", "2.510", lambda j: j["totals"]["weightKg"]),
    ("package number", "CP-2026-000123", lambda j: j["packageNumber"]),
    ("plan hash", "sha256:" + "ab" * 32, lambda j: j["planHash"]),
    ("ruleset version", "us-2026.11.1", lambda j: j["rulesetVersion"]),
    ("flag code", FLAG_ORDER_PRODUCT.code, lambda j: j["flags"][0]["code"]),
    ("flag message", FLAG_PACKAGE.message, lambda j: j["flags"][1]["message"]),
]


@pytest.mark.parametrize(
    ("element", "expected", "lookup"), ELEMENTS_141_86, ids=[e[0] for e in ELEMENTS_141_86]
)
def test_every_141_86_element_is_in_html_json_and_pdf(
    element: str, expected: str, lookup: ElementLookup
) -> None:
    artifacts = by_type(render_artifacts(build_package()))

    assert lookup(json.loads(artifacts["cci_json"].content)) == expected, element
    assert str(escape(expected)) in artifacts["cci_human_readable"].content.decode(), element
    pdf = squeezed(pdf_text(artifacts["cci_pdf"].content))
    assert squeezed(to_latin1(expected)) in pdf, element


@pytest.mark.parametrize("flag", [FLAG_ORDER_PRODUCT, FLAG_PACKAGE], ids=lambda f: f.code)
def test_flags_appear_in_html_json_and_pdf(flag: PackageFlag) -> None:
    artifacts = by_type(render_artifacts(build_package()))
    html = artifacts["cci_human_readable"].content.decode()
    pdf = pdf_text(artifacts["cci_pdf"].content)

    assert flag.model_dump() in json.loads(artifacts["cci_json"].content)["flags"]
    assert flag.code in html
    assert str(escape(flag.message)) in html
    assert flag.code in pdf
    assert squeezed(flag.message) in squeezed(pdf)


def test_html_escapes_user_text() -> None:
    html = rendered(build_package(), "cci_human_readable").decode()

    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Atelier Café &lt;Tokyo&gt; Ltd." in html
    assert "Jane O&#39;Doe &amp; Co" in html
    assert "Check &lt;b&gt;301&lt;/b&gt; &amp; 232 duties" in html
    assert "Café – 東京" in html


def test_html_says_when_port_of_entry_and_line_data_are_missing() -> None:
    html = rendered(build_package(portOfEntry=None), "cci_human_readable").decode()

    assert "to be determined by the broker" in html
    assert "not provided" in html


def test_csv_parses_back_to_one_row_per_line_including_hostile_text() -> None:
    content = rendered(build_package(), "cci_csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))

    assert content.startswith(b"packageNumber,")
    assert [(r["orderId"], r["lineNo"], r["sku"]) for r in rows] == [
        ("ord_1", "1", "MUG-01"),
        ("ord_2", "1", "TEA-02"),
        ("ord_2", "2", "SPOON-3"),
    ]
    first = rows[0]
    assert list(first) == list(HEADER)
    assert first["description"] == HOSTILE
    assert first["manufacturerName"] == MAKER.name
    assert first["consigneeAddress"] == CONSIGNEE.address
    assert first["exporterName"] == EXPORTER.name
    assert first["brokerName"] == BROKER.name
    assert first["portOfEntry"] == "4701 JFK Airport"
    assert first["currency"] == "USD"
    assert (first["quantity"], first["unitValueUsd"], first["lineValueUsd"]) == (
        "7",
        "12.50",
        "87.50",
    )
    assert (first["unitWeightKg"], first["lineWeightKg"]) == ("0.350", "2.450")
    assert (rows[1]["hsCode"], rows[1]["countryOfOrigin"], rows[1]["consigneeName"]) == (
        "",
        "",
        "",
    )


def test_csv_flags_column_lists_the_flags_that_concern_each_line() -> None:
    content = rendered(build_package(), "cci_csv").decode("utf-8")
    flags = [row["flags"] for row in csv.DictReader(io.StringIO(content, newline=""))]

    package_wide = f"{FLAG_PACKAGE.code}: {FLAG_PACKAGE.message}"
    assert flags == [
        package_wide,
        f"{FLAG_ORDER_PRODUCT.code}: {FLAG_ORDER_PRODUCT.message}\n{package_wide}",
        package_wide,
    ]


def test_json_totals_equal_the_sum_of_the_lines() -> None:
    document = invoice_json(build_package())
    lines = [line for order in document["orders"] for line in order["lines"]]

    totals = document["totals"]
    assert Decimal(totals["valueUsd"]) == sum(Decimal(line["lineValueUsd"]) for line in lines)
    assert totals["quantity"] == sum(line["quantity"] for line in lines)
    weights = [Decimal(line["lineWeightKg"]) for line in lines if line["lineWeightKg"]]
    assert Decimal(totals["weightKg"]) == sum(weights)
    assert (totals["orders"], totals["lines"], totals["linesWithoutWeight"]) == (2, 3, 1)
    for order in document["orders"]:
        values = [Decimal(line["lineValueUsd"]) for line in order["lines"]]
        assert Decimal(order["totals"]["valueUsd"]) == sum(values)


def test_totals_add_the_rounded_line_values_shown_on_the_invoice() -> None:
    data = build_package()
    lines = data.orders[1].lines
    lines[0].line_value_usd = Decimal("0.005")
    lines[1].line_value_usd = Decimal("0.005")

    document = invoice_json(data)

    assert [line["lineValueUsd"] for line in document["orders"][1]["lines"]] == ["0.01", "0.01"]
    assert document["orders"][1]["totals"]["valueUsd"] == "0.02"


def test_money_has_two_decimals_in_every_form() -> None:
    artifacts = by_type(render_artifacts(build_package()))
    document = json.loads(artifacts["cci_json"].content)
    money = [document["totals"]["valueUsd"]] + [
        line[key]
        for order in document["orders"]
        for line in order["lines"]
        for key in ("unitValueUsd", "lineValueUsd")
    ]

    assert money == ["110.78", "12.50", "87.50", "9.99", "19.98", "1.10", "3.30"]
    html = artifacts["cci_human_readable"].content.decode()
    pdf = pdf_text(artifacts["cci_pdf"].content)
    for amount in money:
        assert f">{amount}<" in html
        assert amount in pdf


def test_packing_list_shows_each_order_with_quantities_and_weights() -> None:
    packing = json.loads(rendered(build_package(), "packing_list"))

    assert packing["packageNumber"] == "CP-2026-000123"
    assert [o["orderId"] for o in packing["orders"]] == ["ord_1", "ord_2"]
    first, second = packing["orders"]
    assert first["items"][0]["description"] == HOSTILE
    assert first["consignee"]["name"] == CONSIGNEE.name
    assert [
        (i["sku"], i["quantity"], i["unitWeightKg"], i["totalWeightKg"]) for i in second["items"]
    ] == [("TEA-02", 2, None, None), ("SPOON-3", 3, "0.020", "0.060")]
    assert second["totals"] == {
        "lines": 2,
        "quantity": 5,
        "weightKg": "0.060",
        "linesWithoutWeight": 1,
    }
    assert packing["totals"]["weightKg"] == "2.510"


def test_empty_package_renders_every_artifact() -> None:
    artifacts = by_type(render_artifacts(build_package(orders=[], flags=[])))

    assert json.loads(artifacts["cci_json"].content)["totals"]["valueUsd"] == "0.00"
    assert artifacts["cci_csv"].content.count(b"\r\n") == 1
    assert "No flags." in pdf_text(artifacts["cci_pdf"].content)


# --- the PDF --------------------------------------------------------------------------------


def test_pdf_has_a_pdf_header_and_dates_from_the_plan_not_the_clock() -> None:
    content = rendered(build_package(), "cci_pdf")

    assert content.startswith(b"%PDF-")
    assert b"/CreationDate (D:20261126100000Z)" in content
    assert b"/Producer (EntryGo)" in content


def test_pdf_changes_when_one_line_value_changes() -> None:
    data = build_package()
    data.orders[0].lines[0].line_value_usd = Decimal("87.51")

    assert rendered(data, "cci_pdf") != rendered(build_package(), "cci_pdf")
    assert "87.51" in pdf_text(rendered(data, "cci_pdf"))


def test_pdf_folds_text_outside_latin1_and_says_so() -> None:
    text = pdf_text(rendered(build_package(), "cci_pdf"))

    assert 'Café - ??"' in text
    assert "carrytheexacttext" in squeezed(text)


def test_pdf_without_folding_has_no_folding_note() -> None:
    plain = build_package()
    plain.orders[0].lines[0].description = "Ceramic mug"

    assert "exacttext" not in squeezed(pdf_text(rendered(plain, "cci_pdf")))


def test_pdf_cuts_a_cell_taller_than_a_page_and_points_to_the_full_text() -> None:
    data = build_package()
    data.orders[0].lines[0].description = "word " * 3000 + "\n" * 200 + "Z" * 3000

    text = pdf_text(rendered(data, "cci_pdf"))

    assert squeezed(CLIPPED) in squeezed(text)


def test_pdf_numbers_pages_and_user_text_cannot_forge_the_page_count() -> None:
    data = build_package()
    data.orders[0].lines[0].description = "page {nb} of \x01nb\x01"

    text = pdf_text(rendered(data, "cci_pdf"))

    pages = re.findall(r"Page (\d+) of \s*(\d+)", text)
    assert pages
    assert pages == [(str(n), str(len(pages))) for n in range(1, len(pages) + 1)]
    assert "page {nb} of  nb " in text


# --- an order without consignee details (RULES O-004) -------------------------------------

WARNING = PackageWarning(
    code="CONSIGNEE_DETAILS_MISSING",
    message="The consignee's name or street address is missing.",
    orderId="ord_3",
    field="consignee",
)


def _without_consignee(consignee: Party | None) -> CustomsPackageData:
    base = build_package()
    guide = base.orders[1].model_copy(
        update={
            "order_id": "ord_3",
            "order_external_id": "SHOP-1003",
            "consignee": consignee,
            "destination_region": "CA",
            "destination_postal_code": "94107",
        }
    )
    return build_package(orders=[guide], warnings=[WARNING])


@pytest.mark.parametrize(
    "consignee",
    [None, Party(name=" ", address="")],
    ids=["no-consignee", "blank-consignee"],
)
def test_consignee_block_shows_the_destination_and_says_what_is_missing(
    consignee: Party | None,
) -> None:
    data = _without_consignee(consignee)
    artifacts = by_type(render_artifacts(data))
    expected = {
        "name": None,
        "address": None,
        "region": "CA",
        "postalCode": "94107",
        "country": "US",
        "notProvided": ["name", "address"],
        "note": "Name and street address were not provided.",
    }
    assert json.loads(artifacts["cci_json"].content)["orders"][0]["consignee"] == expected
    assert json.loads(artifacts["packing_list"].content)["orders"][0]["consignee"] == expected
    manifest = json.loads(artifacts["manifest"].content)
    assert manifest["orders"] == [
        {
            "orderId": "ord_3",
            "orderExternalId": "SHOP-1003",
            "entryType": None,
            "consignee": expected,
        }
    ]
    html = artifacts["cci_human_readable"].content.decode()
    block = html.split("<th>Consignee</th>")[1].split("</tr>")[0]
    assert "CA 94107" in block
    assert "Country: US" in block
    assert "Name and street address were not provided." in block
    assert "None" not in block
    pdf = squeezed(pdf_text(artifacts["cci_pdf"].content))
    assert squeezed("CA 94107") in pdf
    assert squeezed("Name and street address were not provided.") in pdf
    row = next(csv.DictReader(io.StringIO(artifacts["cci_csv"].content.decode())))
    assert (row["consigneeName"], row["consigneeAddress"], row["consigneeCountry"]) == (
        "",
        "",
        "US",
    )
    assert (row["orderDestinationRegion"], row["orderDestinationPostalCode"]) == ("CA", "94107")


def test_a_full_consignee_has_nothing_not_provided() -> None:
    data = _without_consignee(CONSIGNEE)
    block = invoice_json(data)["orders"][0]["consignee"]
    assert (block["name"], block["address"]) == (CONSIGNEE.name, CONSIGNEE.address)
    assert (block["notProvided"], block["note"]) == ([], None)


def test_only_the_missing_part_is_named() -> None:
    block = invoice_json(_without_consignee(Party(name="Grace", address=" ")))["orders"][0]
    assert block["consignee"]["notProvided"] == ["address"]
    assert block["consignee"]["note"] == "Street address was not provided."


def test_warnings_for_the_broker_appear_in_html_json_and_pdf() -> None:
    data = _without_consignee(None)
    assert invoice_json(data)["warnings"] == [WARNING.model_dump()]
    html = rendered(data, "cci_human_readable").decode()
    assert "<code>CONSIGNEE_DETAILS_MISSING</code>" in html
    assert "CONSIGNEE_DETAILS_MISSING" in pdf_text(rendered(data, "cci_pdf"))
    quiet = build_package()
    assert invoice_json(quiet)["warnings"] == []
    assert "No warnings." in rendered(quiet, "cci_human_readable").decode()
