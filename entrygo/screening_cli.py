"""`entrygo screening`: import a dated Consolidated Screening List, list the versions."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from entrygo.runner import as_operator, print_json

screening_app = typer.Typer(
    no_args_is_help=True, help="Restricted-party screening lists (Consolidated Screening List)."
)


def _list_date(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter("not a date (YYYY-MM-DD)", param_hint="--date") from exc


@screening_app.command("import")
def screening_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="the list as published (CSV or JSON)"
        ),
    ],
    list_date: Annotated[
        str | None,
        typer.Option("--date", help="the day the list was published (default: today, UTC)"),
    ] = None,
) -> None:
    """Load a dated version of the Consolidated Screening List; plans screen against the newest."""
    from domain.screening.csl import CslFormatError  # noqa: PLC0415
    from services import installation  # noqa: PLC0415

    day = _list_date(list_date)
    data = file.read_bytes()
    try:
        version, created = as_operator(
            lambda rt: installation.import_screening_list(rt, day, file.name, data)
        )
    except (CslFormatError, UnicodeDecodeError, OSError) as exc:
        raise typer.BadParameter(str(exc), param_hint="FILE") from exc
    print_json(
        {
            "version": version.version,
            "listDate": version.list_date.isoformat(),
            "entries": version.entry_count,
            "created": created,
        }
    )


@screening_app.command("list")
def screening_list() -> None:
    """The imported versions, newest (the one planning uses) first."""
    from services import installation  # noqa: PLC0415

    versions = as_operator(installation.screening_lists)
    print_json(
        [
            {
                "version": v.version,
                "listDate": v.list_date.isoformat(),
                "source": v.source_name,
                "entries": v.entry_count,
                "importedAt": v.imported_at.isoformat(),
            }
            for v in versions
        ]
    )
