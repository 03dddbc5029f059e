"""The Manufacturer Identification Code against the worked examples CBP and carriers publish."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.mid import CANADA_PROVINCE_CODES, MidUnbuildable, manufacturer_id

CFR = "https://ecfr.io/Title-19/Part-102/Appendix"
CFR_QUOTED = "http://www.mkma.org/newsletters/2005/Nov2005/MID.htm"
CFR_TRANSLATED = "https://thuvienbinhthuan.com.vn/ebook/ThongTinVaTacPhamTongQuat/Tonghop/GioiThieuThiTruongHoaKy/files/basic-html/page117.html"
FEDEX = "https://fedex.com/en-jp/customer-support/faq/customs/customs-codes/how-to-generate-mid-code.html"
FEDEX_GB = "https://ask.fedex.com/help/en-gb/preparing-to-send/mid-code-generation"
GUIDE = "https://scribd.com/document/741186016/manufacturers-identification-code-guide"


@pytest.mark.parametrize(
    ("source", "name", "name_part"),
    [
        (CFR, "Amalgamated Plastics Corp.", "AMAPLA"),  # rule 3, two words
        (CFR, "Bergstrom", "BER"),  # rule 3, one word: first three only
        (CFR, "A.B.C. Company", "ABCCOM"),  # rule 3, initials together are one word
        (CFR, "A B C Company", "ABCCOM"),  # rule 3, same with spaces
        (CFR, "O.A.S.I.S. Corp.", "OASCOR"),  # rule 3
        (CFR_QUOTED, "Dr. S.A. Smith", "DRSA"),  # rule 3, continued
        (CFR_QUOTED, "Shavings B L Inc.", "SHABL"),  # rule 3, continued
        (CFR_TRANSLATED, "The Garment and Textiles Company Co. Ltd", "GARTEX"),  # skip words
        (CFR_TRANSLATED, "Rawles-Aden Corp.", "RAWCOR"),  # hyphenated parts are one word
        (CFR_TRANSLATED, "20th Century Fox", "20TCEN"),  # digits in the name
        (CFR_TRANSLATED, "Concept 2000", "CON200"),  # digits in the name
        (FEDEX, "ABC Company", "ABCCOM"),  # initials written together
        (GUIDE, "ABC 2000 Company", "ABC200"),
        (GUIDE, "L.S. Ayres Company", "LSAYR"),  # a two-letter initials word gives two
    ],
)
def test_published_name_examples(source: str, name: str, name_part: str) -> None:
    assert manufacturer_id(name, "", "Tokyo", "JP") == f"JP{name_part}TOK", source


@pytest.mark.parametrize(
    ("source", "address", "number_part"),
    [
        (FEDEX, "11455 Main Street Suite 9999", "1145"),  # first four digits of the largest
        (FEDEX, "12,34,56 Akasaka Road", "1234"),  # punctuation between digits ignored
        (FEDEX, "12-34 56 Akasaka Road", "1234"),
        (FEDEX, "7 12th street", "7"),  # a numbered street name is not the number
        (FEDEX, "Akasaka Road", ""),  # no number: the part is skipped
        (GUIDE, "236 Wendell Ford Blvd", "236"),
        (GUIDE, "236 Wendell Ford Blvd Suite 1000", "1000"),
        (GUIDE, "49 250th St", "49"),
    ],
)
def test_published_address_examples(source: str, address: str, number_part: str) -> None:
    assert manufacturer_id("Bergstrom", address, "Tokyo", "JP") == f"JPBER{number_part}TOK", source


@pytest.mark.parametrize(
    ("source", "name", "address", "city", "country", "mid"),
    [
        # The worked example on FedEx's MID page.
        (FEDEX_GB, "Ozrock", "92, Alice Springs Road", "Melbourne", "AU", "AUOZR92MEL"),
        # The worked example in the MID guide.
        (
            GUIDE,
            "DHL Express",
            "236 Wendell Ford Blvd Ste 1304",
            "Erlanger",
            "US",
            "USDHLEXP1304ERL",
        ),
        (GUIDE, "Bergstrom", "", "St Louis", "US", "USBERSTL"),  # city example
        (GUIDE, "Bergstrom", "", "London", "GB", "GBBERLON"),  # city example
    ],
)
def test_published_full_examples(
    source: str, name: str, address: str, city: str, country: str, mid: str
) -> None:
    assert manufacturer_id(name, address, city, country) == mid, source


@pytest.mark.parametrize(("province", "cbp_code"), sorted(CANADA_PROVINCE_CODES.items()))
def test_canada_takes_the_cbp_province_code_in_every_spelling(province: str, cbp_code: str) -> None:
    expected = f"{cbp_code}BER12TOR"
    assert manufacturer_id("Bergstrom", "12 King St", "Toronto", "CA", province) == expected
    assert manufacturer_id("Bergstrom", "12 King St", "Toronto", "CA", f"CA-{province}") == expected
    assert manufacturer_id("Bergstrom", "12 King St", "Toronto", "ca", province.lower()) == expected


@pytest.mark.parametrize(
    ("region", "cbp_code"),
    [
        ("Ontario", "XO"),
        ("Québec", "XQ"),
        ("quebec", "XQ"),
        ("British Columbia", "XC"),
        ("Newfoundland and Labrador", "XW"),
        ("Newfoundland & Labrador", "XW"),
        ("Newfoundland", "XW"),
        ("Yukon Territory", "XY"),
        ("Yukon", "XY"),
        ("Nunavut", "XV"),
        ("Prince Edward Island", "XP"),
        ("  Northwest Territories ", "XT"),
    ],
)
def test_canada_province_names(region: str, cbp_code: str) -> None:
    assert manufacturer_id("Bergstrom", "", "Montreal", "CA", region) == f"{cbp_code}BERMON"


def test_region_is_ignored_outside_canada() -> None:
    assert manufacturer_id("Bergstrom", "", "Dallas", "US", "TX") == "USBERDAL"


@pytest.mark.parametrize(
    ("name", "name_part"),
    [
        ("Textilwerke", "TEX"),  # one word: three characters, not six
        ("The Embassy of Spain", "EMBSPA"),  # "the" and "of" skipped
        ("A Tale and An Ode", "TALODE"),  # "a", "and", "an" skipped
        ("Mary's Boutique", "MARBOU"),  # apostrophe joins
        ("N. Minami & Co., Ltd.", "NMIN"),  # ampersand and commas separate; lone initial kept
        ("Solune/Vanessa Bruno", "SOLVAN"),  # slash separates
        ("Société Générale d'Équipement", "SOCGEN"),  # accents folded
        ("Straße Werke", "STRWER"),
        ("  lower case  ltd ", "LOWCAS"),
    ],
)
def test_name_edge_cases(name: str, name_part: str) -> None:
    assert manufacturer_id(name, "", "Paris", "FR") == f"FR{name_part}PAR"


@pytest.mark.parametrize(
    ("address", "number_part"),
    [
        ("Apt. 509 2727 Cleveland St.", "2727"),  # several numbers: the largest
        ("Calle Grande, 25-27", "2527"),  # hyphen between digits ignored
        ("215-5000 Miller Road", "2155"),  # joined then cut to four digits
        ("Postfach 0105332642", "0105"),  # the digits as written, not the value
        ("Room#1342-49, Block C", "1342"),
        ("1st Floor, 3 Rue du Four", "3"),  # ordinals are not address numbers
        ("123456789 Long Road", "1234"),  # first four, never the last four
        ("One World Trade Center", ""),
    ],
)
def test_address_edge_cases(address: str, number_part: str) -> None:
    assert manufacturer_id("Bergstrom", address, "Osaka", "JP") == f"JPBER{number_part}OSA"


@pytest.mark.parametrize(
    ("city", "city_part"),
    [
        ("St. Michel", "STM"),  # letters run on across words and punctuation
        ("18-Mile High", "MIL"),  # digits are not letters
        ("Zürich", "ZUR"),
        ("Xi", "XI"),  # fewer than three letters: what there is
    ],
)
def test_city_edge_cases(city: str, city_part: str) -> None:
    assert manufacturer_id("Bergstrom", "", city, "CH") == f"CHBER{city_part}"


@pytest.mark.parametrize(
    ("name", "address", "city", "country", "region", "reason"),
    [
        ("!!!", "1 Main St", "Paris", "FR", None, "name"),
        ("東京製作所", "1 Main St", "Tokyo", "JP", None, "name"),
        ("The Of And", "1 Main St", "Paris", "FR", None, "name"),
        ("Bergstrom", "1 Main St", "12345", "FR", None, "city"),
        ("Bergstrom", "1 Main St", "東京", "JP", None, "city"),
        ("Bergstrom", "1 Main St", "Paris", "FRA", None, "ISO"),
        ("Bergstrom", "1 Main St", "Paris", "ZZ", None, "ISO"),
        ("Bergstrom", "1 Main St", "Toronto", "XO", None, "ISO"),
        ("Bergstrom", "1 Main St", "Toronto", "CA", None, "province"),
        ("Bergstrom", "1 Main St", "Toronto", "CA", "Texas", "province"),
        ("Bergstrom", "1 Main St", "Toronto", "CA", "CA-ZZ", "province"),
    ],
)
def test_unbuildable_inputs_say_why(
    name: str, address: str, city: str, country: str, region: str | None, reason: str
) -> None:
    with pytest.raises(MidUnbuildable, match=reason):
        manufacturer_id(name, address, city, country, region)


def test_unbuildable_is_a_value_error() -> None:
    assert issubclass(MidUnbuildable, ValueError)


@given(name=st.text(max_size=40), address=st.text(max_size=40), city=st.text(max_size=20))
def test_any_mid_is_short_upper_case_and_never_canada(name: str, address: str, city: str) -> None:
    try:
        mid = manufacturer_id(name, address, city, "CA", "Ontario")
    except MidUnbuildable:
        return
    assert re.fullmatch(r"XO[A-Z0-9]{1,6}[0-9]{0,4}[A-Z]{1,3}", mid)
    assert len(mid) <= 15
