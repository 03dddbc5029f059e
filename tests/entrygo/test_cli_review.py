"""The review-policy admin commands: key labels and the account's review webhook,
against the test database; the demo seed's labelled keys."""

from pathlib import Path

import asyncpg
import httpx
import pytest

from entrygo.seed import DEMO_KEY_LABELS, seed_demo
from store.accounts import authenticate, review_webhook
from tests.support.cli_runner import cli, output


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.delenv("ENTRYGO_DATABASE_URL", raising=False)
    monkeypatch.delenv("ENTRYGO_ALLOW_PRIVATE_URLS", raising=False)  # production's policy
    monkeypatch.setenv("DATABASE_URL", database_url)


async def test_keys_create_with_a_label(http: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
    account = output(await cli("accounts", "create", "Labelled merchant"))["id"]
    admin = output(await cli("keys", "create", "--account", account, "--roles", "admin"))
    assert (admin["name"], admin["label"]) == ("cli", "cli")
    key = output(
        await cli(
            "keys",
            "create",
            "--account",
            account,
            "--roles",
            "reviewer",
            "--name",
            "reviewer-dana",
            "--label",
            "Dana Diaz",
        )
    )
    assert (key["name"], key["label"]) == ("reviewer-dana", "Dana Diaz")
    # the key stands for Dana Diaz wherever it is used
    async with pool.acquire() as conn:
        principal = await authenticate(conn, key["key"])
    assert principal is not None
    assert principal.label == "Dana Diaz"
    r = await http.get("/api/keys", headers={"authorization": f"Bearer {admin['key']}"})
    labels = {k["id"]: k["label"] for k in r.json()["data"]}
    assert labels == {admin["id"]: "cli", key["id"]: "Dana Diaz"}
    listed = output(await cli("keys", "list", "--account", account))
    assert {k["id"]: k["label"] for k in listed} == labels


async def test_keys_create_refuses_a_label_with_control_characters() -> None:
    account = output(await cli("accounts", "create", "Strict merchant"))["id"]
    result = await cli(
        "keys", "create", "--account", account, "--roles", "reviewer", "--label", "Dana\nDiaz"
    )
    assert result.exit_code != 0
    assert "--label" in result.output


async def test_set_review_webhook(pool: asyncpg.Pool) -> None:
    account = output(await cli("accounts", "create", "Hooked merchant"))["id"]
    url = "https://reviews.example.com/hook"
    shown = output(
        await cli(
            "accounts", "set-review-webhook", account, url, "--secret", "review-secret-0123456"
        )
    )
    assert shown == {"accountId": account, "reviewWebhookUrl": url}
    async with pool.acquire() as conn:
        hook = await review_webhook(conn, account)
    assert hook is not None
    assert (hook.url, hook.secret) == (url, "review-secret-0123456")
    # without --secret one is made and shown once
    made = output(await cli("accounts", "set-review-webhook", account, url))
    assert len(made["secret"]) >= 16
    async with pool.acquire() as conn:
        assert (await review_webhook(conn, account)).secret == made["secret"]  # type: ignore[union-attr]
    output(await cli("accounts", "set-review-webhook", account, "-"))
    async with pool.acquire() as conn:
        assert await review_webhook(conn, account) is None
    for bad in (
        ["ftp://x.example/hook"],
        [url, "--secret", "short"],
        ["http://169.254.169.254/hook"],  # the address policy, unless ENTRYGO_ALLOW_PRIVATE_URLS
    ):
        assert (await cli("accounts", "set-review-webhook", account, *bad)).exit_code != 0
    assert (await cli("accounts", "set-review-webhook", "acc_missing", url)).exit_code != 0


async def test_the_demo_keys_stand_for_people_and_systems(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with pool.acquire() as conn:
        demo = await seed_demo(conn, tmp_path, "http://127.0.0.1:9/hook", "e@broker.test")
        for role, secret in demo["keys"].items():
            principal = await authenticate(conn, secret)
            assert principal is not None
            assert principal.label == DEMO_KEY_LABELS[role]
        names = {
            r["name"]
            for r in await conn.fetch(
                "SELECT name FROM api_keys WHERE account_id = $1", demo["accountId"]
            )
        }
    assert names == {"demo integration", "demo reviewer", "demo admin"}
    assert DEMO_KEY_LABELS["reviewer"] == "Dana Diaz (demo reviewer)"
