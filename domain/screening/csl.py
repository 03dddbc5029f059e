"""The US Consolidated Screening List (CSL) as the International Trade Administration publishes it.

Two published forms are read, told apart by their content:
- CSV (`consolidated.csv`): a header row naming the columns (`_id, source, entity_number, type,
  programs, name, title, addresses, ..., alt_names, ...`); multi-valued cells (programs,
  addresses, alt_names) hold their values separated by ";", and an address ends with its
  ISO alpha-2 country ("Komitas 26/114, Yerevan, Armenia, AM").
- JSON (`consolidated.json` and the search API): `{"results": [...]}`, each result with `name`,
  `alt_names` (a list), `source`, `programs` (a list), `addresses` (objects with `country`),
  `type`, and `id` (or `entity_number`).

Field names: https://github.com/InternationalTradeAdministration/developerportal
(_posts/v2/2015-02-24-csl.md); downloads: https://www.trade.gov/consolidated-screening-list
(https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv and .json).
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any


class CslFormatError(ValueError):
    """The input is not a Consolidated Screening List in a published form."""


@dataclass(frozen=True)
class CslEntry:
    """One listed party: its primary name, aliases and where it is listed."""

    entry_id: str
    source: str
    name: str
    alt_names: tuple[str, ...]
    entity_type: str | None
    programs: tuple[str, ...]
    countries: tuple[str, ...]


REQUIRED_COLUMNS = ("name", "source")


def load_csl(data: str | bytes | IO[str] | IO[bytes]) -> tuple[CslEntry, ...]:
    """Every entry of a CSL file (CSV or JSON, told apart by content), in file order.

    Raises CslFormatError naming the line (CSV) or result (JSON) and field at fault."""
    text = _text(data)
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise CslFormatError("the CSL file is empty")
    if stripped[0] in "{[":
        return _from_json(stripped)
    return _from_csv(stripped)


def _text(data: str | bytes | IO[str] | IO[bytes]) -> str:
    raw = data if isinstance(data, (str, bytes)) else data.read()
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CslFormatError(f"the CSL file is not UTF-8 text (byte {exc.start})") from exc
    return raw


def split_values(cell: str | None) -> tuple[str, ...]:
    """The values of a multi-valued CSV cell (separated by ';'), trimmed, empties dropped."""
    if not cell:
        return ()
    return tuple(value.strip() for value in cell.split(";") if value.strip())


def address_country(address: str) -> str | None:
    """The ISO alpha-2 country that ends a CSV address, if it ends with one."""
    last = address.rsplit(",", 1)[-1].strip()
    return last if len(last) == 2 and last.isalpha() and last.isupper() else None


def _unique(values: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _from_csv(text: str) -> tuple[CslEntry, ...]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [column.strip() for column in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CslFormatError(
            f"line 1: not a CSL header: no {', '.join(repr(c) for c in missing)} column "
            f"(columns: {', '.join(header[:8])}{'...' if len(header) > 8 else ''})"
        )
    entries = []
    start = 2
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            if None in row:
                raise CslFormatError(f"line {line}: more cells than the header has columns")
            if not any((value or "").strip() for value in row.values()):
                continue
            name = (row.get("name") or "").strip()
            if not name:
                raise CslFormatError(f"line {line}: field 'name' is empty")
            source = (row.get("source") or "").strip()
            if not source:
                raise CslFormatError(f"line {line}: field 'source' is empty")
            entry_id = (row.get("_id") or row.get("entity_number") or "").strip()
            addresses = split_values(row.get("addresses"))
            entries.append(
                CslEntry(
                    entry_id=entry_id or f"{source}#{line}",
                    source=source,
                    name=name,
                    alt_names=split_values(row.get("alt_names")),
                    entity_type=(row.get("type") or "").strip() or None,
                    programs=split_values(row.get("programs")),
                    countries=_unique(address_country(a) or "" for a in addresses),
                )
            )
    except csv.Error as exc:
        raise CslFormatError(f"line {reader.line_num}: {exc}") from exc
    if not entries:
        raise CslFormatError("the CSL file has a header but no entries")
    return tuple(entries)


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return split_values(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise CslFormatError(f"{where}: field {field!r} is not a list of strings")


def _countries(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CslFormatError(f"{where}: field 'addresses' is not a list")
    found = []
    for address in value:
        if isinstance(address, dict):
            country = address.get("country")
            if isinstance(country, str) and country.strip():
                found.append(country.strip())
        elif isinstance(address, str):
            found.append(address_country(address) or "")
        else:
            raise CslFormatError(f"{where}: an address is neither an object nor text")
    return _unique(iter(found))


def _from_json(text: str) -> tuple[CslEntry, ...]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CslFormatError(f"line {exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("results"), list):
        raise CslFormatError("not a CSL JSON document: no 'results' list at the top level")
    entries = []
    for n, result in enumerate(document["results"]):
        where = f"results[{n}]"
        if not isinstance(result, dict):
            raise CslFormatError(f"{where}: not an object")
        name = result.get("name")
        if not isinstance(name, str) or not name.strip():
            raise CslFormatError(f"{where}: field 'name' is missing or empty")
        source = result.get("source")
        if not isinstance(source, str) or not source.strip():
            raise CslFormatError(f"{where}: field 'source' is missing or empty")
        raw_id = result.get("id") or result.get("_id") or result.get("entity_number")
        entity_type = result.get("type")
        entries.append(
            CslEntry(
                entry_id=str(raw_id).strip() if raw_id else f"{source.strip()}#{n}",
                source=source.strip(),
                name=name.strip(),
                alt_names=_strings(result.get("alt_names"), where, "alt_names"),
                entity_type=entity_type.strip() or None if isinstance(entity_type, str) else None,
                programs=_strings(result.get("programs"), where, "programs"),
                countries=_countries(result.get("addresses"), where),
            )
        )
    if not entries:
        raise CslFormatError("the CSL JSON document has no results")
    return tuple(entries)
