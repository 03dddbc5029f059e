"""Email submissions through a real relay: login, STARTTLS or implicit TLS, our own CA.

The relay is aiosmtpd on loopback requiring authentication, with a certificate for
127.0.0.1/localhost issued by a CA made here (the `cryptography` package); the worker trusts
that CA through ENTRYGO_SMTP_CA_FILE. A login the relay refuses, a certificate that does not
verify and a relay without STARTTLS are final (InvalidConfiguration: a person fixes the
settings, then retries the export); the password shows up nowhere.
"""

import datetime as dt
import ipaddress
import logging
import socket
import ssl
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities import build_activities
from activities.transports import SmtpRelay, send_email
from api.app import create_app
from config.settings import Settings
from entrygo.worker import build_worker
from observability.metrics import REGISTRY
from sandbox.smtp_sink import SmtpSink
from tests.support.polling import eventually
from tests.support.tenants import Tenant, make_world

USER = "entrygo-relay"
PASSWORD = "correct horse battery staple 42"  # a test relay's password
WRONG = "not-the-password-7f3a9c"


# --- a CA and a server certificate for 127.0.0.1 and localhost ----------------------------


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory: Path) -> Pki:
    """A CA and a server certificate it signed (SAN: DNS localhost, IP 127.0.0.1)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("EntryGo test CA"))
        .issuer_name(_name("EntryGo test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


# --- the relay ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Relayed:
    """One message the relay took, with who logged in and over which TLS version."""

    login: str
    tls_version: str | None
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage


class Relay:
    """aiosmtpd requiring a login (USER/PASSWORD), over STARTTLS or implicit TLS."""

    def __init__(self, pki: Pki, mode: str) -> None:
        self.mode = mode
        self.messages: list[Relayed] = []
        self.logins: list[tuple[str, bool]] = []  # (user, accepted), never the password
        self._lock = threading.Lock()
        tls: dict[str, Any]
        if mode == "starttls":
            tls = {"tls_context": pki.server_context(), "require_starttls": True}
        else:  # the whole connection is TLS: AUTH needs no STARTTLS on top
            tls = {"ssl_context": pki.server_context(), "auth_require_tls": False}
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # aiosmtpd's readiness probe connects to the port it was given: pick a real one
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            **tls,
        )

    def start(self) -> "Relay":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        user = auth_data.login.decode()
        ok = (user, auth_data.password.decode()) == (USER, PASSWORD)
        with self._lock:
            self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        ssl_object = server.transport.get_extra_info("ssl_object")
        relayed = Relayed(
            login=str(session.auth_data),
            tls_version=ssl_object.version() if ssl_object is not None else None,
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message_from_bytes(envelope.original_content, policy=policy.default),  # type: ignore[arg-type]
        )
        with self._lock:
            self.messages.append(relayed)
        return "250 Message accepted for delivery"


@asynccontextmanager
async def relay(pki: Pki, mode: str) -> AsyncIterator[Relay]:
    r = Relay(pki, mode).start()
    try:
        yield r
    finally:
        r.stop()


def relay_settings(settings: Settings, pki: Pki, r: Relay, **changes: Any) -> Settings:
    """The worker's settings for this relay: logged in, TLS as the relay speaks it."""
    if isinstance(changes.get("smtp_password"), str):  # as the environment would give it
        changes["smtp_password"] = SecretStr(changes["smtp_password"])
    return settings.model_copy(
        update={
            "task_queue": f"smtp-{uuid.uuid4().hex[:8]}",
            "smtp_host": "localhost" if r.mode == "starttls" else "127.0.0.1",
            "smtp_port": r.port,
            "smtp_username": USER,
            "smtp_password": SecretStr(PASSWORD),
            "smtp_starttls": r.mode == "starttls",
            "smtp_tls": r.mode == "tls",
            "smtp_ca_file": pki.ca_file,
            "smtp_timeout_seconds": 5.0,
            **changes,
        }
    )


# --- the whole path: plan, execute, the worker mails the broker --------------------------


@asynccontextmanager
async def stack(
    settings: Settings, temporal_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    worker = build_worker(
        temporal_env.client, settings.task_queue, build_activities(pool, settings)
    )
    async with app.router.lifespan_context(app), worker:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def execute(http: httpx.AsyncClient, world: Any, until: set[str]) -> dict[str, Any]:
    """Plan and execute one READY order; the inspect view once its status is in `until`."""
    order_ids = await world.orders(http, "SKU-SCARF")
    auth = world.tenant.auth()
    r = await http.post("/api/exports/plan", json=world.plan_body(order_ids), headers=auth)
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    r = await http.post(
        "/api/exports/execute",
        json={"accountId": world.tenant.account_id, "batchId": export_id},
        headers=auth,
    )
    assert r.status_code in (200, 202), r.text

    async def settled() -> dict[str, Any] | None:
        view: dict[str, Any] = (await http.get(f"/api/exports/{export_id}", headers=auth)).json()
        return view if view["status"] in until else None

    view: dict[str, Any] = await eventually(settled, attempts=400)
    return view


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# aiosmtpd warns that AUTH without STARTTLS is unsafe: with implicit TLS there is no plain phase
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_a_submission_by_email_arrives_logged_in_over_tls(
    settings: Settings,
    temporal_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tenant: Tenant,
    pki: Pki,
    mode: str,
) -> None:
    world = await make_world(pool, tenant)  # an email broker: b@example.com
    before = metric("entrygo_broker_submissions_total", transport="email", outcome="accepted")
    async with relay(pki, mode) as r:
        mine = relay_settings(settings, pki, r)
        async with stack(mine, temporal_env, pool) as http:
            view = await execute(http, world, {"EXECUTED", "ATTENTION_REQUIRED"})
    assert view["status"] == "EXECUTED", view["attention"]
    sub = view["brokerSubmission"]
    assert (sub["status"], sub["attempts"]) == ("SENT", 1)
    (got,) = r.messages
    assert got.login == USER
    assert r.logins == [(USER, True)]
    assert got.tls_version is not None
    assert got.tls_version.startswith("TLSv1.")
    assert got.rcpt_tos == ("b@example.com",)
    assert got.mail_from == mine.smtp_from
    assert got.message["X-EntryGo-Submission-Id"] == sub["id"]
    assert " ".join(str(got.message["Subject"]).split()) == sub["subject"]  # unfolded
    filenames = {part.get_filename() for part in got.message.iter_attachments()}
    assert "commercial_customs_invoice.pdf" in filenames
    assert (
        metric("entrygo_broker_submissions_total", transport="email", outcome="accepted")
        == before + 1
    )


async def test_a_refused_login_is_final_and_the_password_shows_nowhere(
    settings: Settings,
    temporal_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tenant: Tenant,
    pki: Pki,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """535 (credentials refused) will not change by retrying: InvalidConfiguration at once,
    ATTENTION_REQUIRED, and the export resumes on `retry` once the settings are fixed."""
    caplog.set_level(logging.DEBUG)
    world = await make_world(pool, tenant)
    before = metric("entrygo_broker_submissions_total", transport="email", outcome="failed")
    async with relay(pki, "starttls") as r:
        mine = relay_settings(settings, pki, r, smtp_password=WRONG)
        async with stack(mine, temporal_env, pool) as http:
            view = await execute(http, world, {"EXECUTED", "ATTENTION_REQUIRED"})
            text = (
                await http.get(f"/api/exports/{view['exportId']}", headers=world.tenant.auth())
            ).text
    assert view["status"] == "ATTENTION_REQUIRED"
    attention = view["attention"]
    assert (attention["step"], attention["errorType"]) == ("send", "InvalidConfiguration")
    assert f"refused the login of '{USER}': 535" in attention["error"]
    sub = view["brokerSubmission"]
    assert (sub["status"], sub["attempts"]) == ("FAILED", 1)  # tried once, not again
    # one attempt; aiosmtplib tries each mechanism the relay offers (PLAIN, LOGIN) in it
    assert r.logins == [(USER, False)] * len(r.logins)
    assert 1 <= len(r.logins) <= 2
    assert r.messages == []
    assert metric("entrygo_broker_submissions_total", transport="email", outcome="failed") == (
        before + 1
    )
    for shown in (text, caplog.text, repr(SmtpRelay.from_settings(mine))):
        assert WRONG not in shown
        assert PASSWORD not in shown


def _email() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "exports@entrygo.local"
    msg["To"] = "b@example.com"
    msg["Subject"] = "test"
    msg.set_content("hello")
    return msg


async def test_a_certificate_the_system_store_does_not_trust_is_final(
    settings: Settings, pki: Pki
) -> None:
    """Without ENTRYGO_SMTP_CA_FILE the system store decides: our test CA is not in it."""
    async with relay(pki, "starttls") as r:
        relay_ = SmtpRelay.from_settings(relay_settings(settings, pki, r, smtp_ca_file=None))
        with pytest.raises(ApplicationError) as caught:
            await send_email(_email(), relay_)
        assert r.logins == []  # never sent the credentials to a relay it could not verify
    assert caught.value.type == "InvalidConfiguration"
    assert caught.value.non_retryable
    assert "certificate does not verify" in caught.value.message


async def test_a_relay_without_starttls_is_final_when_starttls_is_required(
    settings: Settings, tmp_path: Path
) -> None:
    sink = SmtpSink("127.0.0.1", 0, tmp_path / "mail")  # plain SMTP, no STARTTLS offered
    sink.start()
    try:
        relay_ = SmtpRelay(host="127.0.0.1", port=sink.port, timeout=5.0, starttls=True)
        with pytest.raises(ApplicationError) as caught:
            await send_email(_email(), relay_)
    finally:
        sink.stop()
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidConfiguration", True)
    assert "STARTTLS" in caught.value.message
    assert sink.received() == []


async def test_a_relay_that_wants_a_login_we_do_not_give_is_final(
    settings: Settings, pki: Pki
) -> None:
    async with relay(pki, "starttls") as r:
        mine = relay_settings(settings, pki, r, smtp_username=None, smtp_password=None)
        with pytest.raises(ApplicationError) as caught:
            await send_email(_email(), SmtpRelay.from_settings(mine))
        assert r.messages == []
    assert (caught.value.type, caught.value.non_retryable) == ("InvalidConfiguration", True)
    assert "530" in caught.value.message


async def test_an_unreachable_relay_is_retried(settings: Settings) -> None:
    relay_ = SmtpRelay(host="127.0.0.1", port=9, timeout=2.0)  # discard port: refused
    with pytest.raises(ApplicationError) as caught:
        await send_email(_email(), relay_)
    assert (caught.value.type, caught.value.non_retryable) == ("Transient", False)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"smtp_tls": True, "smtp_starttls": True}, "ENTRYGO_SMTP_TLS"),
        ({"smtp_username": USER}, "ENTRYGO_SMTP_PASSWORD"),
        ({"smtp_ca_file": Path("/nonexistent/ca.pem")}, "ENTRYGO_SMTP_CA_FILE"),
    ],
)
def test_contradicting_smtp_settings_stop_the_worker_at_start(
    settings: Settings, pool: asyncpg.Pool, changes: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        build_activities(pool, settings.model_copy(update=changes))
