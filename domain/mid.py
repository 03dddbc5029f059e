"""The Manufacturer Identification Code (MID) CBP requires on entries, built from name and address.

Rules, from the Appendix to 19 CFR Part 102 ("Rules for Constructing the Manufacturer
Identification Code"), https://ecfr.io/Title-19/Part-102/Appendix, quoted with the same
wording at http://www.mkma.org/newsletters/2005/Nov2005/MID.htm and
http://internationaltradeforeverydaypeople.blogspot.com/2011/10/manufacturers-id-what-is-it.html:

* up to 15 characters, no spaces;
* the ISO 3166-1 alpha-2 code of the country; never "CA": a Canadian manufacturer takes the
  CBP code of its province (table below);
* the first three characters of each of the first two "words" of the name, or only the
  first three when the name has one word ("Bergstrom" -> "BER"); two or more initials
  together are one word ("A.B.C. Company" -> "ABCCOM", "Dr. S.A. Smith" -> "DRSA");
  the English words "a", "an", "and", "of" and "the" in the name are ignored; hyphenated
  parts are one word ("Rawles-Aden Corp." -> "RAWCOR"); digits count as characters
  ("20th Century Fox" -> "20TCEN", "Concept 2000" -> "CON200");
* the first four digits of the largest number on the street address line, none when it has
  no number; punctuation between digits is ignored ("12,34,56 Akasaka Road" -> "1234");
  a numbered street name is not the number ("7 12th street" -> "7"); see
  https://fedex.com/en-jp/customer-support/faq/customs/customs-codes/how-to-generate-mid-code.html
  ("11455 Main Street Suite 9999" -> "1145");
* the first three letters of the city.
"""

import re
import unicodedata

from domain.countries import is_alpha2

__all__ = [
    "CANADA_PROVINCE_CODES",
    "CANADA_PROVINCE_NAMES",
    "NAME_SKIP_WORDS",
    "MidUnbuildable",
    "manufacturer_id",
]

NAME_SKIP_WORDS: frozenset[str] = frozenset({"A", "AN", "AND", "OF", "THE"})

# ISO 3166-2:CA subdivision -> CBP code used in place of "CA" (19 CFR Part 102, Appendix, rule 2).
CANADA_PROVINCE_CODES: dict[str, str] = {
    "AB": "XA",  # Alberta
    "BC": "XC",  # British Columbia
    "MB": "XM",  # Manitoba
    "NB": "XB",  # New Brunswick
    "NL": "XW",  # Newfoundland (Labrador)
    "NT": "XT",  # Northwest Territories
    "NS": "XN",  # Nova Scotia
    "NU": "XV",  # Nunavut
    "ON": "XO",  # Ontario
    "PE": "XP",  # Prince Edward Island
    "QC": "XQ",  # Quebec
    "SK": "XS",  # Saskatchewan
    "YT": "XY",  # Yukon Territory
}

CANADA_PROVINCE_NAMES: dict[str, str] = {
    "ALBERTA": "AB",
    "BRITISH COLUMBIA": "BC",
    "MANITOBA": "MB",
    "NEW BRUNSWICK": "NB",
    "NEWFOUNDLAND": "NL",
    "NEWFOUNDLAND AND LABRADOR": "NL",
    "NEWFOUNDLAND LABRADOR": "NL",
    "LABRADOR": "NL",
    "NORTHWEST TERRITORIES": "NT",
    "NOVA SCOTIA": "NS",
    "NUNAVUT": "NU",
    "ONTARIO": "ON",
    "PRINCE EDWARD ISLAND": "PE",
    "QUEBEC": "QC",
    "SASKATCHEWAN": "SK",
    "YUKON": "YT",
    "YUKON TERRITORY": "YT",
}

_JOINERS = re.compile(r"['\u2019`\-\u2010\u2011]")
_ORDINAL = re.compile(r"\d+(?:ST|ND|RD|TH)\b")


class MidUnbuildable(ValueError):
    """Why the manufacturer's data cannot produce an MID."""


def _fold(text: str) -> str:
    """Upper-case ASCII: accents dropped ("Québec" -> "QUEBEC"), other scripts removed."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    return "".join(ch for ch in decomposed if ch.isascii() and not unicodedata.combining(ch))


def _country_part(country: str, region: str | None) -> str:
    code = country.strip().upper()
    if not is_alpha2(code):
        raise MidUnbuildable(f"country {country!r} is not an ISO 3166-1 alpha-2 code")
    if code != "CA":
        return code
    province = _province(region)
    if province is None:
        raise MidUnbuildable(f"Canada needs a known province, got {region!r}")
    return CANADA_PROVINCE_CODES[province]


def _province(region: str | None) -> str | None:
    if region is None:
        return None
    folded = _fold(region).strip()
    folded = folded.removeprefix("CA-")
    if folded in CANADA_PROVINCE_CODES:
        return folded
    name = " ".join(re.sub(r"&", " AND ", re.sub(r"[^A-Z&]+", " ", folded)).split())
    return CANADA_PROVINCE_NAMES.get(name)


def _name_words(name: str) -> list[str]:
    pieces: list[str] = []
    for token in re.split(r"[^A-Z0-9.]+", _JOINERS.sub("", _fold(name))):
        pieces.extend(part for part in token.split(".") if part)
    words: list[str] = []
    initials = ""
    for piece in [*pieces, ""]:
        if len(piece) == 1 and piece.isalpha():
            initials += piece
            continue
        if initials:
            words.append(initials)
            initials = ""
        if piece:
            words.append(piece)
    return [word for word in words if word not in NAME_SKIP_WORDS]


def _name_part(name: str) -> str:
    words = _name_words(name)
    if not words:
        raise MidUnbuildable(f"manufacturer name {name!r} has no letters or digits")
    return "".join(word[:3] for word in words[:2])


def _address_part(address: str) -> str:
    text = _ORDINAL.sub(" ", _fold(address))
    text = re.sub(r"[^A-Z0-9\s]", "", text)
    numbers: list[str] = re.findall(r"\d+", text)
    if not numbers:
        return ""
    return max(numbers, key=int)[:4]


def _city_part(city: str) -> str:
    letters = re.sub(r"[^A-Z]", "", _fold(city))
    if not letters:
        raise MidUnbuildable(f"city {city!r} has no letters")
    return letters[:3]


def manufacturer_id(
    name: str, address: str, city: str, country: str, region: str | None = None
) -> str:
    """The MID; raises MidUnbuildable with a short reason (e.g. no name letters, no city letters, country not an ISO code, Canada without a known province)."""
    return (
        _country_part(country, region)
        + _name_part(name)
        + _address_part(address)
        + _city_part(city)
    )
