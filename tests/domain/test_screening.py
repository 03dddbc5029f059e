"""Restricted-party screening: reading the Consolidated Screening List, normalizing names and
matching them, and the matcher's precision and recall over the labelled pairs.

Labelling policy of tests/support/screening_pairs.csv: a pair is a match when the query names the
listed party (or an alias) however written: other word order, legal form, punctuation,
abbreviation, accents, Cyrillic, a transliteration or a typo, or only generic words ("Trading",
"Group", "Industries" ...) added or dropped beside every distinctive word of the listed name. It is
no match when a distinctive word differs (another company sharing a word, another person sharing a
first name or surname, a near-miss spelling of another real name)."""

import io
import json

import pytest

from bench.screening import baseline, evaluate, load_pairs, matcher
from domain.screening.csl import CslEntry, CslFormatError, address_country, load_csl
from domain.screening.index import DEFAULT_MIN_SCORE, ScreeningIndex
from domain.screening.names import key, name_variants, normalize, raw_tokens, words
from domain.screening.similarity import name_similarity, ratio

HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,"
    "start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,"
    "gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,"
    "alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
)
SSI = "Sectoral Sanctions Identifications List (SSI) - Treasury Department"
EL = "Entity List (EL) - Bureau of Industry and Security"
CSV_SAMPLE = (
    HEADER + "\n" + f'"18283","{SSI}","18283","Entity","UKRAINE-EO13662","SME BANK","",'
    '"79 ul. Sadovnicheskaya, Moscow, 115035, RU","","","","","","","","","","","","",'
    '"All offices worldwide","https://sanctionslist.ofac.treas.gov/Home/ConsolidatedList",'
    '"JSC SME BANK; MSP BANK AO","","","","","https://ofac.treasury.gov/","SWIFT/BIC, RUDVRUMM"\n'
    + f'"99ed1b","{EL}","","","","China Electronics Technology Group Corporation 13th Research '
    'Institute (CETC 13)","","113 Hezuo Road,\nShijiazhuang, Hebei, China, CN; 21 Changsheng '
    'Street, Shijiazhuang, CN","83 FR 37423","2018-08-01","","","For all items","Denial","","","",'
    '"","","","","https://www.bis.doc.gov/","Hebei Semiconductor Research Institute; HSRI","","",'
    '"","","https://www.bis.doc.gov/",""\n'
)
JSON_SAMPLE = {
    "results": [
        {
            "id": "28603",
            "source": SSI,
            "entity_number": "28603",
            "type": "Entity",
            "programs": ["VENEZUELA-EO13850", "UKRAINE-EO13662"],
            "name": "TNK Trading International S.A.",
            "alt_names": [],
            "addresses": [{"address": "place du Lac 2", "city": "Geneve", "country": "CH"}],
        },
        {
            "source": "Denied Persons List (DPL) - Bureau of Industry and Security",
            "name": "I. ASH",
            "addresses": [{"address": "605 TRAIL LAKE DRIVE", "country": "US"}],
        },
    ]
}


def entry(entry_id: str, name: str, *aliases: str, source: str = "SDN") -> CslEntry:
    return CslEntry(entry_id, source, name, aliases, None, (), ())


def test_csv_entries_carry_ids_aliases_programs_and_countries() -> None:
    first, second = load_csl(CSV_SAMPLE)
    assert first == CslEntry(
        "18283",
        SSI,
        "SME BANK",
        ("JSC SME BANK", "MSP BANK AO"),
        "Entity",
        ("UKRAINE-EO13662",),
        ("RU",),
    )
    assert second.entry_id == "99ed1b"
    assert second.entity_type is None
    assert second.alt_names == ("Hebei Semiconductor Research Institute", "HSRI")
    assert second.countries == ("CN",)


def test_csv_is_read_from_bytes_and_binary_files_with_a_bom() -> None:
    data = ("\ufeff" + CSV_SAMPLE).encode()
    assert load_csl(io.BytesIO(data)) == load_csl(data) == load_csl(io.StringIO(CSV_SAMPLE))


def test_csv_without_ids_falls_back_to_source_and_line() -> None:
    (only,) = load_csl("source,name,alt_names\nDTC,Juan Lopez-Hernandez,\n")
    assert only.entry_id == "DTC#2"
    assert only.alt_names == ()


def test_json_results_are_read() -> None:
    first, second = load_csl(json.dumps(JSON_SAMPLE))
    assert first == CslEntry(
        "28603", SSI, "TNK Trading International S.A.", (), "Entity",
        ("VENEZUELA-EO13850", "UKRAINE-EO13662"), ("CH",),
    )  # fmt: skip
    assert second.entry_id.startswith("Denied Persons List")
    assert second.countries == ("US",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("id,title\n1,x\n", "line 1: not a CSL header: no 'name', 'source'"),
        ("_id,source,type\n1,SDN,Entity\n", "no 'name' column"),
        (HEADER + "\n", "no entries"),
        ("_id,source,name\n1,SDN,ACME\n2,SDN,\n", "line 3: field 'name' is empty"),
        ("_id,source,name\n1,,ACME\n", "line 2: field 'source' is empty"),
        ("_id,source,name\n1,SDN,ACME,extra\n", "line 2: more cells"),
        ('{"results": [{"source": "SDN"}]}', "results[0]: field 'name' is missing"),
        ('{"results": [{"name": "X", "source": "SDN", "alt_names": 3}]}', "'alt_names'"),
        ('{"results": []}', "no results"),
        ('{"total": 3}', "no 'results' list"),
        ('{"results": [', "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_bad_input_is_refused_with_where(data: str | bytes, message: str) -> None:
    with pytest.raises(CslFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_csl(data)


def test_format_error_is_a_value_error() -> None:
    assert issubclass(CslFormatError, ValueError)


@pytest.mark.parametrize(
    ("address", "country"),
    [("Komitas 26/114, Yerevan, Armenia, AM", "AM"), ("TR", "TR"), ("Tulkarim, West Bank", None)],
)
def test_address_country(address: str, country: str | None) -> None:
    assert address_country(address) == country


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Huawei Technologies Co., Ltd.", ("huawei", "technology")),
        ("OOO Sberbank Strakhovanie", ("sberbank", "strakhovanie")),
        ("Grupo Rola S.A. de C.V.", ("grupo", "rola")),
        ("Otkrytoe Aktsionernoe Obshchestvo Volgogradneftemash", ("volgogradneftemash",)),
        ("Mizan Mfg. Intl Sdn Bhd", ("mizan", "manufacturing", "international")),
        ("I.R.I.S.L.", ("irisl",)),
        ("Corporación Hotelera del Caribe", ("corporacion", "hotelera", "caribe")),
        ("Co., Ltd.", ("co", "ltd")),
    ],
)
def test_words_drop_legal_forms_and_expand_abbreviations(
    name: str, expected: tuple[str, ...]
) -> None:
    assert words(name) == expected


def test_cyrillic_and_accents_are_folded() -> None:
    assert raw_tokens("Евгений Пригожин") == ["evgeniy", "prigozhin"]
    assert raw_tokens("Nicolás Gastélum Kayakıran") == ["nicolas", "gastelum", "kayakiran"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("khalil", "halil"),
        ("yevgeniy", "evgeni"),
        ("dmitriyev", "dmitriev"),
        ("qasem", "ghasem"),
        ("qaddafi", "gadhafi"),
        ("yousef", "yusef"),
        ("volkov", "wolkow"),
        ("lines", "line"),
    ],
)
def test_transliteration_variants_share_a_key(a: str, b: str) -> None:
    assert key(a) == key(b)


def test_different_names_keep_different_keys() -> None:
    assert key("hassan") != key("hussein")
    assert key("alfa") != key("alba")


def test_near_spellings_are_close_and_others_far() -> None:
    assert ratio(key("aleksandr"), key("alexander")) > 0.9
    assert ratio(key("mohammed"), key("muhammad")) > 0.85
    assert ratio(key("rosneft"), key("rosnfet")) > 0.82
    assert ratio(key("alfa"), key("alba")) < 0.82


def test_name_similarity_ignores_order_and_weighs_generic_words_less() -> None:
    assert name_similarity(normalize("Ryong Nam Rim"), normalize("RIM, Ryong Nam")) == 1.0
    assert name_similarity(normalize("Huawei"), normalize("Huawei Technologies Co., Ltd.")) > 0.85
    assert name_similarity(normalize("Alfa Trading"), normalize("Alba Trading")) < 0.5
    assert name_similarity(normalize("Sino Bright"), normalize("Sinobright")) == 1.0


def test_variants_split_parentheticals_and_successor_clause() -> None:
    listed = "Sinobright Import and Export Company (SBIEC); and any successor, sub-unit, or subsidiary thereof"
    assert name_variants(listed) == ("Sinobright Import and Export Company", "SBIEC")
    assert name_variants("OAO Volga (f.k.a. Volga Neft)") == ("OAO Volga", "Volga Neft")


INDEX = ScreeningIndex.build(
    [
        entry("1", "Huawei Technologies Co., Ltd.", "Huawei", source="EL"),
        entry("2", "RIM, Ryong Nam"),
        entry("3", "KIM, Jong Un"),
        entry("4", "Mayrow General Trading", source="EL"),
        entry("5", "Academy of Aerospace Solid Propulsion Technology (AASPT)", source="MEU"),
        entry("6", "PRIGOZHIN, Yevgeniy Viktorovich"),
    ]
)


def test_match_finds_aliases_parentheticals_and_scripts() -> None:
    assert [m.entry_id for m in INDEX.match("huawei")] == ["1"]
    (aaspt,) = INDEX.match("A.A.S.P.T.")
    assert (aaspt.entry_id, aaspt.matched_name, aaspt.score) == ("5", "AASPT", 1.0)
    (prigozhin,) = INDEX.match("Евгений Пригожин")
    assert prigozhin.listed_name == "PRIGOZHIN, Yevgeniy Viktorovich"
    assert DEFAULT_MIN_SCORE <= prigozhin.score < 1.0


def test_match_is_one_per_entry_best_first_and_deterministic() -> None:
    found = INDEX.match("Huawei Technologies Company", min_score=0.0)
    assert found[0].entry_id == "1"
    assert found[0].matched_name == "Huawei Technologies Co., Ltd."
    assert len({m.entry_id for m in found}) == len(found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert INDEX.match("Huawei Technologies Company", min_score=0.0) == found


def test_near_misses_and_empty_names_do_not_match() -> None:
    assert INDEX.match("Kim Jong Nam") == []
    assert INDEX.match("Global General Trading LLC") == []
    assert INDEX.match("Co., Ltd.") == []
    assert INDEX.match("  ...  ") == []


def test_min_score_filters() -> None:
    loose = INDEX.match("Mayrow Trading", min_score=0.3)
    assert [m.entry_id for m in loose] == ["4"]
    assert INDEX.match("Mayrow Trading", min_score=loose[0].score + 0.01) == []


def test_index_and_linear_scan_agree() -> None:
    for query in ("Rim Ryong-Nam", "Huawei Tech", "Mayrow", "Jong Un Kim", "Prigozhin"):
        assert INDEX.match(query, min_score=0.5) == INDEX.scan(query, min_score=0.5)


def test_index_does_not_score_unrelated_names() -> None:
    keys = normalize("Rim Ryong Nam")
    assert [INDEX.variants[n].entry.entry_id for n in INDEX.candidates(keys)] == ["2"]


PAIRS = load_pairs()


def test_labelled_set_is_large_and_covers_both_labels_and_each_kind() -> None:
    assert len(PAIRS) >= 200
    kinds = {p.kind for p in PAIRS if p.expected}
    assert {"alias", "word_order", "legal_form", "transliteration", "punctuation"} <= kinds
    assert {"abbreviation", "cyrillic", "accent", "typo"} <= kinds
    assert {"near_miss", "shared_word", "shared_first_name", "generic_words"} <= {
        p.kind for p in PAIRS if not p.expected
    }
    assert sum(not p.expected for p in PAIRS) >= 100


def test_precision_and_recall_at_the_default_threshold() -> None:
    metrics = evaluate(PAIRS, matcher(PAIRS))
    wrong = [(p.query, p.listed[0], p.expected) for p in metrics.wrong]
    assert metrics.precision >= 0.95, wrong
    assert metrics.recall >= 0.95, wrong


def test_the_exact_baseline_misses_what_the_matcher_finds() -> None:
    assert evaluate(PAIRS, baseline).recall < 0.5


def test_precision_and_recall_can_fail() -> None:
    everything = evaluate(PAIRS, lambda _: True)
    nothing = evaluate(PAIRS, lambda _: False)
    assert everything.precision < 0.95
    assert nothing.recall == 0.0


def test_the_pack_screens_at_the_threshold_the_labelled_set_measures() -> None:
    from domain.rulepack.model import load_rule_pack

    rule = load_rule_pack("us-2027.01").measures.denied_party_screening
    assert rule is not None
    assert float(rule.min_score) == DEFAULT_MIN_SCORE
