"""`entrygo destinations` and `entrygo operations`: fleet control from the operator's shell, over
the same use cases as /api/destinations and /api/operations (docs/fleet-control.md)."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from config.settings import Settings
from entrygo.runner import print_json, with_pool
from store.db import Pool
from store.keys import ROLES

if TYPE_CHECKING:
    from services.context import Context
    from services.destinations import DestinationRef

destinations_app = typer.Typer(
    no_args_is_help=True, help="Destinations (brokers, warehouses, webhook endpoints)."
)
operations_app = typer.Typer(no_args_is_help=True, help="Stuck exports: groups, retry, cancel.")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Account = Annotated[str, typer.Option("--account", help="account id")]
Group = Annotated[str | None, typer.Option("--group", help="a group of `operations failures`")]
Exports = Annotated[
    list[str] | None, typer.Option("--export", help="an export id (repeat for several)")
]


def _for_account(account: str, call: Callable[["Context"], Awaitable[T]]) -> T:
    """Run a use case for the account as its operator (every role, actor `cli`). No transaction
    is held around it: each use case takes its own, and a bulk operation borrows connections one
    export at a time."""
    from services.accounts import account_exists  # noqa: PLC0415
    from services.context import Context, Intent, Runtime  # noqa: PLC0415
    from services.errors import ServiceError  # noqa: PLC0415
    from services.temporal import TemporalGate  # noqa: PLC0415
    from store.accounts import Principal  # noqa: PLC0415
    from store.errors import NotFound  # noqa: PLC0415

    operator = Principal(account, "", key_id="cli", roles=frozenset(ROLES), label="cli")

    async def work(settings: Settings, pool: Pool) -> T:
        ctx = Context(Runtime(pool, TemporalGate(settings), settings), Intent(operator))
        if not await account_exists(ctx):
            raise typer.BadParameter(f"no account {account}", param_hint="--account")
        try:
            return await call(ctx)
        except NotFound as exc:
            typer.echo(f"NOT_FOUND: {exc.resource} not found in account {account}", err=True)
            raise typer.Exit(1) from exc
        except ServiceError as exc:
            typer.echo(f"{exc.code}: {exc.message}", err=True)
            raise typer.Exit(1) from exc

    return with_pool(work)


def _ref(destination_id: str) -> "DestinationRef":
    """`broker:<id>`, `warehouse:<id>` or `webhook:<id>`."""
    from domain.destinations import parse_destination_id  # noqa: PLC0415
    from services.destinations import DestinationRef  # noqa: PLC0415

    try:
        kind, ref_id = parse_destination_id(destination_id)
    except ValueError as exc:
        raise typer.BadParameter(
            "a destination id is broker:<id>, warehouse:<id> or webhook:<id>",
            param_hint="DESTINATION_ID",
        ) from exc
    return DestinationRef(kind, ref_id)


def _valid(model: type[M], data: dict[str, object]) -> M:
    """The request model of the HTTP route, with its rules."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(problems) from exc


def _show(value: BaseModel) -> None:
    print_json(value.model_dump(mode="json"))


@destinations_app.command("list")
def destinations_list(
    account: Account,
    as_json: Annotated[bool, typer.Option("--json", help="the whole answer as JSON")] = False,
) -> None:
    """Every destination of the account: its state, why it is paused, what waits for it."""
    from services import destinations  # noqa: PLC0415

    listed = _for_account(account, destinations.list_destinations)
    if as_json:
        _show(listed)
        return
    for d in listed.data:
        extra = f"  paused by {d.paused_by}: {d.paused_reason}" if d.paused_reason else ""
        error = f"  last error: {d.last_error}" if d.last_error and not extra else ""
        typer.echo(
            f"{d.destination_id:<40} {d.state.value:<9} waiting {d.waiting_exports:<5} "
            f"{d.name}{extra}{error}"
        )


@destinations_app.command("pause")
def destinations_pause(
    destination_id: Annotated[
        str, typer.Argument(help="broker:<id>, warehouse:<id>, webhook:<id>")
    ],
    account: Account,
    reason: Annotated[str, typer.Option("--reason", help="why (shown with the destination)")],
) -> None:
    """Hold every send to the destination until it is resumed."""
    from services import destinations  # noqa: PLC0415
    from services.models.fleet import PauseRequest  # noqa: PLC0415

    ref = _ref(destination_id)
    body = _valid(PauseRequest, {"reason": reason})
    _show(_for_account(account, lambda ctx: destinations.pause_destination(ctx, ref, body)))


@destinations_app.command("resume")
def destinations_resume(
    destination_id: Annotated[
        str, typer.Argument(help="broker:<id>, warehouse:<id>, webhook:<id>")
    ],
    account: Account,
) -> None:
    """Let sends to the destination go again; the exports waiting for it are released."""
    from services import destinations  # noqa: PLC0415

    ref = _ref(destination_id)
    _show(_for_account(account, lambda ctx: destinations.resume_destination(ctx, ref)))


@operations_app.command("failures")
def operations_failures(account: Account) -> None:
    """Stuck exports grouped by destination and error class, largest group first (JSON)."""
    from services import operations  # noqa: PLC0415

    _show(_for_account(account, operations.failures))


def _selection(group: str | None, exports: list[str] | None) -> dict[str, object]:
    selection: dict[str, object] = {}
    if group is not None:
        selection["group"] = group
    if exports:
        selection["exportIds"] = exports
    return selection


@operations_app.command("retry")
def operations_retry(
    account: Account,
    group: Group = None,
    exports: Exports = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be sent again, change nothing")
    ] = False,
) -> None:
    """Retry the exports of a group (or those named); each export's outcome on its own (JSON)."""
    from services import operations  # noqa: PLC0415
    from services.models.fleet import RetryOperation  # noqa: PLC0415

    body = _valid(RetryOperation, {**_selection(group, exports), "dryRun": dry_run})
    _show(_for_account(account, lambda ctx: operations.retry_exports(ctx, body)))


@operations_app.command("cancel")
def operations_cancel(
    account: Account,
    group: Group = None,
    exports: Exports = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why")] = None,
) -> None:
    """Cancel the exports of a group (or those named); each export's outcome on its own (JSON)."""
    from services import operations  # noqa: PLC0415
    from services.models.fleet import CancelOperation  # noqa: PLC0415

    sent = {**_selection(group, exports), **({"reason": reason} if reason else {})}
    body = _valid(CancelOperation, sent)
    _show(_for_account(account, lambda ctx: operations.cancel_exports(ctx, body)))
