"""The `entrygo` command: dev stack, API, worker, migrations and account administration."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
import uvloop
from pydantic import BaseModel, ValidationError

from config.settings import Settings, load_settings
from entrygo.evidence_cli import evidence_app
from entrygo.fleet_cli import destinations_app, operations_app
from entrygo.runner import as_operator, print_json, with_pool
from entrygo.screening_cli import screening_app
from observability.logs import logging_from_settings
from store.db import Pool
from store.keys import ROLES

if TYPE_CHECKING:
    from services.context import Context

app = typer.Typer(no_args_is_help=True, help="EntryGo: the EntryGo Export Protocol v1 service.")
accounts_app = typer.Typer(no_args_is_help=True, help="Accounts.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
warehouses_app = typer.Typer(no_args_is_help=True, help="Warehouses.")
brokers_app = typer.Typer(no_args_is_help=True, help="Brokers.")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(warehouses_app, name="warehouses")
app.add_typer(brokers_app, name="brokers")
app.add_typer(screening_app, name="screening")
app.add_typer(destinations_app, name="destinations")
app.add_typer(operations_app, name="operations")
app.add_typer(evidence_app, name="evidence")

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _logging(process: str = "entrygo") -> None:
    """JSON lines on stderr (and in ENTRYGO_LOG_FILE), or text with ENTRYGO_LOG_FORMAT=text."""
    logging_from_settings(process, load_settings())


@app.command()
def dev() -> None:
    """Run the whole stack locally (embedded PostgreSQL and Temporal unless configured)."""
    from entrygo.dev import run_dev  # noqa: PLC0415

    _logging()
    raise typer.Exit(run_dev(load_settings()))


@app.command()
def api() -> None:
    """Serve the HTTP API."""
    from entrygo.api_process import serve_api  # noqa: PLC0415

    _logging("api")
    serve_api(load_settings())


@app.command()
def worker() -> None:
    """Run a Temporal worker for exports."""
    from entrygo.worker import run_worker  # noqa: PLC0415

    _logging("worker")
    # the server processes run on uvloop (docs/decisions.md)
    uvloop.run(run_worker(load_settings()))


@app.command()
def outbox() -> None:
    """Send webhook deliveries (run beside workers whose ENTRYGO_WORKER_OUTBOX is false)."""
    from entrygo.outbox_process import run_outbox  # noqa: PLC0415

    _logging("outbox")
    uvloop.run(run_outbox(load_settings()))


@app.command()
def mcp(
    http: Annotated[bool, typer.Option("--http", help="streamable HTTP instead of stdio")] = False,
    host: Annotated[str, typer.Option(help="with --http: the address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="with --http: the port to listen on")] = 3001,
) -> None:
    """The MCP server for agents: the lifecycle as tools, a client of the HTTP API (reads
    ENTRYGO_BASE_URL and ENTRYGO_API_KEY; needs no database or Temporal)."""
    from entrygo_client import AsyncEntryGo  # noqa: PLC0415

    from entrygo_mcp.server import run_http, run_stdio  # noqa: PLC0415

    async def serve() -> None:
        async with AsyncEntryGo() as client:
            if http:
                await run_http(client, host, port)
            else:
                await run_stdio(client)

    asyncio.run(serve())


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply pending database migrations."""

    async def migrated(_settings: Settings, _pool: Pool) -> None:
        return None

    with_pool(migrated)
    typer.echo("migrations applied")


@app.command("bootstrap")
def bootstrap_cmd(
    account_name: Annotated[
        str, typer.Option(help="the first account's name (only when there is no account yet)")
    ] = "default",
    retention_days: Annotated[
        int, typer.Option(min=1, help="history retention of the namespace, when created")
    ] = 7,
) -> None:
    """First start of an installation, safe on every start: migrate, create the Temporal
    namespace if missing, and when there is no account create one with an admin key (printed
    this once). Needs DATABASE_URL and TEMPORAL_ADDRESS."""
    from datetime import timedelta  # noqa: PLC0415

    from entrygo.bootstrap import BootstrapError, bootstrap, report  # noqa: PLC0415

    _logging("bootstrap")
    retention = timedelta(days=retention_days)
    try:
        outcome = asyncio.run(
            bootstrap(load_settings(), account_name=account_name, retention=retention)
        )
    except BootstrapError as exc:
        typer.echo(f"bootstrap: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in report(outcome):
        typer.echo(line)


@accounts_app.command("create")
def accounts_create(name: str) -> None:
    """Create an account."""
    from services import installation  # noqa: PLC0415

    print_json({"id": as_operator(lambda rt: installation.create_account(rt, name)), "name": name})


@accounts_app.command("set-review-escalation")
def accounts_set_review_escalation(
    account_id: str,
    lead_email: Annotated[
        list[str] | None, typer.Option("--lead-email", help="a lead's address (repeat)")
    ] = None,
    escalate_after: Annotated[
        float | None,
        typer.Option(help="seconds after the review deadline until the leads' queue"),
    ] = None,
    clear: Annotated[bool, typer.Option(help="remove the chain")] = False,
) -> None:
    """The review escalation chain: at the review deadline the leads are e-mailed (and the
    review webhook told); ESCALATE_AFTER seconds later the review moves to the leads' queue."""
    from domain.approval import EscalationChain  # noqa: PLC0415
    from services.accounts import set_escalation_chain  # noqa: PLC0415

    if clear:
        _as_account(account_id, lambda ctx: set_escalation_chain(ctx, None))
        print_json({"accountId": account_id, "reviewEscalation": None})
        return
    if escalate_after is None or escalate_after <= 0:
        raise typer.BadParameter(
            "must be a positive number of seconds", param_hint="--escalate-after"
        )
    emails = lead_email or []
    if any("@" not in e or any(c.isspace() for c in e) for e in emails):
        raise typer.BadParameter("must be e-mail addresses", param_hint="--lead-email")
    chain = EscalationChain(lead_emails=emails, escalate_after_seconds=escalate_after)
    _as_account(account_id, lambda ctx: set_escalation_chain(ctx, chain))
    print_json({"accountId": account_id, "reviewEscalation": chain.model_dump(mode="json")})


@accounts_app.command("set-review-webhook")
def accounts_set_review_webhook(
    account_id: str,
    url: Annotated[str, typer.Argument(help="http(s) URL; '-' clears the webhook")],
    secret: Annotated[
        str | None,
        typer.Option(help="signing secret (16+ characters); default: a new one, printed once"),
    ] = None,
) -> None:
    """Where the account hears of reviews past their deadline (a signed POST, like broker
    webhooks: header EntryGo-Signature)."""
    import secrets as random_secrets  # noqa: PLC0415

    from services.accounts import ReviewWebhookChange, set_review_webhook  # noqa: PLC0415

    if url == "-":
        cleared = ReviewWebhookChange(None, None)
        _as_account(account_id, lambda ctx: set_review_webhook(ctx, cleared))
        print_json({"accountId": account_id, "reviewWebhookUrl": None})
        return
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
        raise typer.BadParameter("must be an http(s) URL", param_hint="URL")
    if secret is not None and len(secret) < 16:
        raise typer.BadParameter("must be at least 16 characters", param_hint="--secret")
    change = ReviewWebhookChange(url, secret or random_secrets.token_urlsafe(24))
    _as_account(account_id, lambda ctx: set_review_webhook(ctx, change), param="URL")
    shown = {"accountId": account_id, "reviewWebhookUrl": url}
    print_json(shown if secret is not None else {**shown, "secret": change.secret})


@keys_app.command("create")
def keys_create(
    account: Annotated[str, typer.Option(help="account id")],
    roles: Annotated[str, typer.Option(help="comma-separated: integration,reviewer,admin")],
    name: Annotated[str, typer.Option(help="the key's name")] = "cli",
    label: Annotated[
        str | None,
        typer.Option(help="who the key stands for (a person or a system); default: the name"),
    ] = None,
) -> None:
    """Create an API key; the key is printed once."""
    from services import keys  # noqa: PLC0415
    from services.models.reference import KeyCreate  # noqa: PLC0415

    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = sorted(set(wanted) - set(ROLES))
    if not wanted or unknown:
        raise typer.BadParameter(f"roles must be among {', '.join(ROLES)}")
    try:  # the same rules as `POST /api/keys`
        body = KeyCreate(name=name, roles=wanted, label=label)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        raise typer.BadParameter(error["msg"], param_hint=f"--{error['loc'][0]}") from exc
    created = _as_account(account, lambda ctx: keys.create_key(ctx, body))
    print_json(
        created.model_dump(
            mode="json", include={"id", "account_id", "name", "label", "roles", "key"}
        )
    )


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke an API key."""
    from services import installation  # noqa: PLC0415

    key = as_operator(lambda rt: installation.revoke_key(rt, key_id))
    print_json({"id": key.id, "revokedAt": key.revoked_at})


@keys_app.command("list")
def keys_list(account: Annotated[str, typer.Option(help="account id")]) -> None:
    """List an account's keys (never their secrets)."""
    from services import keys  # noqa: PLC0415

    listed = _as_account(account, lambda ctx: keys.list_keys(ctx, None))
    print_json([k.model_dump(mode="json") for k in listed])


JsonOption = Annotated[str, typer.Option("--json", help="the API's request body as JSON")]


def _body(model: type[M], raw: str) -> M:
    """Validate `--json` with the API's request model (same rules as over HTTP)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise typer.BadParameter(problems, param_hint="--json") from exc


def _as_account(
    account: str, call: Callable[["Context"], Awaitable[T]], *, param: str = "--json"
) -> T:
    """Run a use case for the account as its operator, on one transaction: the CLI is the
    operator's own tool, so it acts with every role, as the actor `cli`. The address policy's
    refusals (`Invalid`) are `param`'s."""
    from services.accounts import account_exists  # noqa: PLC0415
    from services.context import Context, Intent, Runtime  # noqa: PLC0415
    from services.errors import Invalid  # noqa: PLC0415
    from services.temporal import TemporalGate  # noqa: PLC0415
    from store.accounts import Principal  # noqa: PLC0415

    operator = Principal(account, "", key_id="cli", roles=frozenset(ROLES), label="cli")

    async def work(settings: Settings, pool: Pool) -> T:
        runtime = Runtime(pool, TemporalGate(settings), settings)
        async with pool.acquire() as conn, conn.transaction():
            ctx = Context(runtime, Intent(operator), conn)
            if not await account_exists(ctx):
                raise typer.BadParameter(f"no account {account}", param_hint="--account")
            try:
                return await call(ctx)
            except Invalid as exc:
                problems = "; ".join(f"{i.path}: {i.message}" for i in exc.issues)
                raise typer.BadParameter(problems, param_hint=param) from exc

    return with_pool(work)


@warehouses_app.command("create")
def warehouses_create(
    account: Annotated[str, typer.Option(help="account id")], body: JsonOption
) -> None:
    """Create a warehouse from the POST /api/warehouses body."""
    from services import reference  # noqa: PLC0415
    from services.models.reference import WarehouseCreate  # noqa: PLC0415

    sent = _body(WarehouseCreate, body)
    warehouse = _as_account(account, lambda ctx: reference.create_warehouse(ctx, sent))
    print_json(warehouse.model_dump(mode="json"))


@warehouses_app.command("list")
def warehouses_list(account: Annotated[str, typer.Option(help="account id")]) -> None:
    """List an account's warehouses (never their notification secrets)."""
    from services import reference  # noqa: PLC0415

    rows = _as_account(account, lambda ctx: reference.list_warehouses(ctx, None))
    print_json([w.model_dump(mode="json") for w in rows])


@brokers_app.command("create")
def brokers_create(
    account: Annotated[str, typer.Option(help="account id")], body: JsonOption
) -> None:
    """Create a broker from the POST /api/brokers body."""
    from services import reference  # noqa: PLC0415
    from services.models.reference import BrokerCreate  # noqa: PLC0415

    sent = _body(BrokerCreate, body)
    broker = _as_account(account, lambda ctx: reference.create_broker(ctx, sent))
    print_json(broker.model_dump(mode="json"))


@brokers_app.command("record")
def brokers_record(
    export_id: Annotated[str, typer.Argument(help="the export the broker spoke about")],
    account: Annotated[str, typer.Option(help="account id")],
    body: JsonOption,
) -> None:
    """Record what a broker that cannot call back said (the POST
    /api/exports/{id}/broker-messages body: INFO_REQUESTED, ENTRY_FILED, HOLD, RELEASED, …)."""
    from services.errors import ServiceError  # noqa: PLC0415
    from services.exports import broker_requests  # noqa: PLC0415
    from services.models.broker import BrokerMessageRequest  # noqa: PLC0415

    sent = _body(BrokerMessageRequest, body)
    try:
        recorded = _as_account(
            account, lambda ctx: broker_requests.record_message(ctx, export_id, sent)
        )
    except ServiceError as exc:
        typer.echo(f"{exc.code}: {exc}", err=True)
        raise typer.Exit(1) from exc
    print_json(recorded.model_dump(mode="json"))


@brokers_app.command("list")
def brokers_list(account: Annotated[str, typer.Option(help="account id")]) -> None:
    """List an account's brokers (never their webhook secrets)."""
    from services import reference  # noqa: PLC0415

    rows = _as_account(account, lambda ctx: reference.list_brokers(ctx, None))
    print_json([b.model_dump(mode="json") for b in rows])


def main() -> None:
    """Entry point of the `entrygo` script."""
    app()
