"""Who may import whom (docs/architecture.md): the layout's arrows run one way.

Reads every module's imports (module level and inside functions) with `ast`, so it fails the
moment an import crosses a rule, whatever the code does at run time.
"""

import ast
import sys
from pathlib import Path

import pytest

from tests.support.imports import ALL, OURS, ROOT, crossings, modules

# our packages each package may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "signing": set(),
    # metrics, traces and logs: recorded from every layer that does I/O, so below them all
    "observability": {"config"},
    "domain": set(),
    "store": {"domain"},
    "workflows": {"domain"},
    # an outside party: it shares only the signature scheme with us
    "sandbox": {"signing"},
    # the MCP server is a client of the HTTP API through the SDK (entrygo_client): nothing of
    # the server's inside, so it runs anywhere an agent does
    "entrygo_mcp": set(),
    "activities": {"config", "signing", "domain", "store", "workflows", "observability"},
    # the application layer: use cases over the store and the workflow's typed handles
    "services": {"config", "signing", "domain", "store", "workflows", "observability"},
    # the HTTP layer reaches the workflow and the export tables only through services/
    "api": {"config", "signing", "domain", "store", "services", "observability"},
    "entrygo": {
        "config",
        "signing",
        "domain",
        "store",
        "workflows",
        "services",
        "activities",
        "api",
        "sandbox",
        "entrygo_mcp",
        "observability",
    },
    # the benchmark and fault harnesses drive the whole system from outside, as the composition
    # root does; no package lists bench, so nothing of ours imports it (tests may)
    "bench": set(OURS) - {"bench"},
}
STDLIB = set(sys.stdlib_module_names)
# outside libraries a package may use, where the rule is tighter than "anything installed"
THIRD_PARTY: dict[str, set[str]] = {
    "config": {"pydantic_settings", "pydantic", "temporalio"},
    "workflows": {"temporalio", "pydantic"},
    "entrygo_mcp": {"entrygo_client", "mcp", "httpx", "uvicorn"},
}
IO_LIBRARIES = {"asyncpg", "httpx", "temporalio", "fastapi", "starlette", "aiosmtplib", "uvicorn"}
# no clock, no randomness, no secrets in the pure set the workflow sandbox passes through
IMPURE_STDLIB = {"time", "random", "secrets", "uuid", "os", "hmac", "socket", "subprocess"}
# the database driver stays behind the repositories of store/
# (and the harnesses of bench/, which make their databases and count rows to check what the
# system did, from outside)
ASYNCPG_USERS = {"store", "bench"}
# what api/ may take from store/: the caller's identity, the idempotency records, errors, the
# pool's construction and probe, the connection's type; every export, catalog and reference
# read goes through services/
API_STORE_MODULES = {
    "store.accounts", "store.errors", "store.idempotency", "store.pool", "store.health",
    "store.keys", "store.ratelimit", "store.db",
}  # fmt: skip


@pytest.mark.parametrize("package", OURS)
def test_packages_import_only_the_layers_below(package: str) -> None:
    def forbidden(target: str) -> bool:
        top = target.split(".", maxsplit=1)[0]
        return top in OURS and top != package and top not in ALLOWED[package]

    assert crossings(package, forbidden) == []


def test_nothing_imports_the_composition_root() -> None:
    found = [
        line
        for package in OURS
        if package not in ("entrygo", "bench")
        for line in crossings(package, lambda t: t.split(".")[0] == "entrygo")
    ]
    assert found == []


@pytest.mark.parametrize("package", sorted(THIRD_PARTY))
def test_leaves_use_only_the_standard_library_and_their_few_libraries(package: str) -> None:
    def foreign(target: str) -> bool:
        top = target.split(".", maxsplit=1)[0]
        return top not in STDLIB and top not in OURS and top not in THIRD_PARTY[package]

    assert crossings(package, foreign) == []


def test_domain_does_no_io() -> None:
    assert crossings("domain", lambda t: t.split(".")[0] in IO_LIBRARIES) == []


def test_domain_reads_no_clock_randomness_or_environment() -> None:
    # id minting (store/ids.py), key hashing (store/keys.py) and signing (signing/) live outside
    assert crossings("domain", lambda t: t.split(".")[0] in IMPURE_STDLIB) == []


def test_asyncpg_stays_behind_the_store() -> None:
    found = [
        line
        for package in OURS
        if package not in ASYNCPG_USERS
        for line in crossings(package, lambda t: t.split(".")[0] == "asyncpg")
    ]
    assert found == []


def test_no_route_imports_another_route() -> None:
    found = [
        (module, target)
        for module, targets in ALL["api"].items()
        if module.startswith("api.routes.")
        for target in targets
        if target.startswith("api.routes.")
        and not target.startswith(module)
        and target.count(".") == 2
    ]
    assert found == []


def test_the_console_and_the_api_routes_do_not_import_each_other() -> None:
    found = [
        (module, target)
        for module, targets in ALL["api"].items()
        for target in targets
        if (module.startswith("api.console") and target.startswith("api.routes"))
        or (module.startswith("api.routes") and target.startswith("api.console"))
    ]
    assert found == []


def test_api_takes_only_identity_and_plumbing_from_the_store() -> None:
    found = [
        f"{module} imports {target}"
        for module, targets in ALL["api"].items()
        for target in targets
        if target.startswith("store.") and ".".join(target.split(".")[:2]) not in API_STORE_MODULES
    ]
    assert found == []


def test_routes_hold_no_sql_and_reach_no_connection() -> None:
    # a route (an API route or a console page) validates, calls service functions and shapes
    # the answer
    pages = [*(ROOT / "api" / "routes").glob("*.py"), *(ROOT / "api" / "console").glob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted(pages)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("acquire", "fetch", "fetchrow", "fetchval", "transaction")
        )
        or (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.strip().upper().startswith(SQL_STATEMENTS)
        )
    ]
    assert found == []


def test_the_scanner_sees_imports_hidden_in_functions(tmp_path: Path) -> None:
    # a crossing inside a function body, or as `from x import y`, is still a crossing
    package = tmp_path / "api" / "routes"
    package.mkdir(parents=True)
    (package / "one.py").write_text(
        "def f():\n    import entrygo.cli\n    from api.routes.two import g\n",
        encoding="utf-8",
    )
    found = modules("api", root=tmp_path)
    assert found["api.routes.one"] == ["entrygo.cli", "api.routes.two", "api.routes.two.g"]
    assert ALL["api"]["api.app"], "the scanner read nothing of the real tree"


def test_activities_build_failures_only_in_their_errors_module() -> None:
    # every failure type, and whether it is retried, is declared once (domain/failures.py)
    built = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "activities").glob("*.py"))
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ApplicationError"
    ]
    assert built == []


def test_the_workflow_never_retries_what_is_declared_final() -> None:
    from activities.errors import failure
    from domain.failures import NON_RETRYABLE, ActivityFailure
    from workflows.export import SIDE_EFFECT_RETRY

    assert list(SIDE_EFFECT_RETRY.non_retryable_error_types or []) == list(NON_RETRYABLE)
    for kind in ActivityFailure:
        error = failure(kind, "x")
        assert error.type == kind.value
        assert error.non_retryable is (kind.value in NON_RETRYABLE)
    assert "Transient" not in NON_RETRYABLE


SQL_STATEMENTS = ("SELECT ", "UPDATE ", "INSERT ", "DELETE ", "WITH ")


def test_no_identifier_is_formatted_into_sql() -> None:
    # SQL is fixed text with $n parameters: no f-string or .format() builds a statement
    found = []
    for package in ("store", "services", "activities", "api", "entrygo"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.JoinedStr):
                    text = "".join(
                        v.value for v in node.values if isinstance(v, ast.Constant)
                    ).upper()
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format"
                    and isinstance(node.func.value, ast.Constant)
                ):
                    text = str(node.func.value.value).upper()
                else:
                    continue
                if text.strip().startswith(SQL_STATEMENTS):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_activities_hold_no_sql() -> None:
    # activities are handed repositories of store/; no statement text lives in them
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "activities").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.strip().upper().startswith(SQL_STATEMENTS)
    ]
    assert found == []
