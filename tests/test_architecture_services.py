"""How the service layer is called and what it answers (docs/architecture.md).

- Every answer is a model (or a store record): no function of services/ or api/ returns a bare
  `dict`, `dict[str, Any]` or `Any`.
- One way to call a use case: `async def use_case(ctx: Context, …)`, its inputs typed.
- One unit of work: the idempotency claim, the replay of a stored answer and the storing of a new
  one live in `api/idempotency.py`; no route repeats them.
- The store's edge is typed in services/: a connection or a pool is a `store.db` protocol.

Read with `ast`, so a rule fails the moment code breaks it, whatever it does at run time.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.imports import ROOT

# functions whose answer is a piece of the OpenAPI document, which is JSON by nature (and FastAPI's
# `responses=` parameter is typed `dict[int | str, dict[str, Any]]`)
UNTYPED_ANSWERS_ALLOWED = {
    "api/openapi.py:error_responses",
    "api/openapi.py:build",
}
# modules of services/ that hold no use case: the Temporal client's plumbing, the models
NOT_USE_CASES = {"services/temporal.py"}
NOT_USE_CASE_PACKAGES = ("services/models/",)
# public functions of services/ that are not called by an authenticated caller, or are checks
# and helpers beside the use cases
OTHER_ENTRY_POINTS = {
    # sign-in establishes the caller: before it there is no key, so no context
    "services/sessions.py:sign_in",
    "services/sessions.py:session_of",
    "services/sessions.py:sign_out",
    "services/sessions.py:purge_ended",
    "services/sessions.py:sign_in_person",
    "services/oidc.py:begin_sign_in",
    "services/oidc.py:finish_sign_in",
    "services/oidc.py:end_session_url",
    # a broker's callback is authenticated by its signature, not by a key of the account
    "services/exports/execution.py:broker_callback",
    "services/exports/execution.py:verify_callback_signature",
    "services/exports/execution.py:export_of_submission",
    "services/exports/broker_requests.py:callback",
    # the workflow part of inspect, for an export already loaded
    "services/exports/live.py:live_state",
    # the cleanup after a plan request answered 503
    "services/exports/planning.py:abandon",
    # the installation's operator acts in no account (the CLI's `accounts create`, `keys revoke`)
    "services/installation.py:create_account",
    "services/installation.py:revoke_key",
    "services/installation.py:import_screening_list",
    "services/installation.py:screening_lists",
    # the address policy needs only the settings
    "services/reference.py:check_outbound_urls",
    "services/webhooks.py:check_outbound_url",
}
CONTEXT = "Context"
# what only the unit of work may name: its claim, its replay and its stored answer
UNIT_OF_WORK_NAMES = {
    "begin_write",
    "begin_workflow_write",
    "replayed",
    "respond",
    "store_answer",
    "claim",
}
UNIT_OF_WORK_MODULE = "api/idempotency.py"
STORE_EDGE_NAMES = {"conn", "connection", "pool"}
STORE_EDGE_TYPES = {"Connection", "Queries", "Pool"}


def _sources(root: Path, *packages: str) -> Iterator[tuple[str, ast.Module]]:
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            yield path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _untyped(annotation: ast.expr) -> bool:
    """A bare `dict`, or `Any` anywhere in the annotation (`dict[str, Any]`, `list[Any]`, …)."""
    if isinstance(annotation, ast.Name) and annotation.id == "dict":
        return True
    return any(
        (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(annotation)
    )


def untyped_answers(root: Path = ROOT) -> list[str]:
    """Functions of services/ and api/ whose return annotation is a bare dict or holds Any."""
    return [
        f"{module}:{fn.name}:{fn.lineno} -> {ast.unparse(fn.returns)}"
        for module, tree in _sources(root, "services", "api")
        for fn in _functions(tree)
        if fn.returns is not None
        and _untyped(fn.returns)
        and f"{module}:{fn.name}" not in UNTYPED_ANSWERS_ALLOWED
    ]


def use_cases_off_the_shape(root: Path = ROOT) -> list[str]:
    """Public module-level async functions of services/ not shaped `(ctx: Context, …)`, or with
    an input typed as a bare dict or Any."""
    found = []
    for module, tree in _sources(root, "services"):
        if module in NOT_USE_CASES or module.startswith(NOT_USE_CASE_PACKAGES):
            continue
        for fn in tree.body:
            if not isinstance(fn, ast.AsyncFunctionDef) or fn.name.startswith("_"):
                continue
            if f"{module}:{fn.name}" in OTHER_ENTRY_POINTS:
                continue
            params = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
            first = params[0].annotation if params else None
            if first is None or ast.unparse(first) != CONTEXT:
                found.append(f"{module}:{fn.name}: the first parameter is not `ctx: {CONTEXT}`")
            found += [
                f"{module}:{fn.name}: input {p.arg} is {ast.unparse(p.annotation)}"
                for p in params[1:]
                if p.annotation is None or _untyped(p.annotation)
            ]
    return found


def unit_of_work_outside_its_module(root: Path = ROOT) -> list[str]:
    """Names of the idempotency ritual used anywhere in api/ but its one module."""
    return [
        f"{module}:{node.lineno} {name}"
        for module, tree in _sources(root, "api")
        if module != UNIT_OF_WORK_MODULE
        for node in ast.walk(tree)
        for name in [
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.name
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            else None
        ]
        if name in UNIT_OF_WORK_NAMES
    ]


def untyped_store_edges(root: Path = ROOT) -> list[str]:
    """Parameters and fields of services/ named like a connection or a pool whose type is not
    one of the store's protocols."""
    found = []
    for module, tree in _sources(root, "services"):
        for node in ast.walk(tree):
            named: list[tuple[str, ast.expr | None, int]] = []
            if isinstance(node, ast.arg):
                named.append((node.arg, node.annotation, node.lineno))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                named.append((node.target.id, node.annotation, node.lineno))
            for name, annotation, line in named:
                if name not in STORE_EDGE_NAMES:
                    continue
                names = (
                    {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}
                    if (annotation is not None)
                    else set()
                )
                if not names & STORE_EDGE_TYPES or _untyped(annotation):  # type: ignore[arg-type]
                    shown = ast.unparse(annotation) if annotation is not None else "untyped"
                    found.append(f"{module}:{line} {name}: {shown}")
    return found


def test_no_function_answers_an_untyped_dict() -> None:
    assert untyped_answers() == []


def test_every_use_case_is_called_one_way() -> None:
    assert use_cases_off_the_shape() == []


def test_the_unit_of_work_is_in_one_place() -> None:
    assert unit_of_work_outside_its_module() == []


def test_services_take_typed_connections_and_pools() -> None:
    assert untyped_store_edges() == []


def test_the_rules_read_something() -> None:
    # each rule sees the real tree: a use case, a route, a connection
    sources = dict(_sources(ROOT, "services", "api"))
    assert "services/reference.py" in sources
    assert "api/routes/brokers.py" in sources
    assert any(
        isinstance(n, ast.arg) and n.arg == "conn" for n in ast.walk(sources["services/catalog.py"])
    )


BROKEN = {
    "services/views.py": "from typing import Any\ndef view(row) -> dict[str, Any]:\n    return {}\n",
    "services/catalog.py": (
        "async def sync(conn, account_id: str, fields: dict) -> None: ...\n"
        "async def read(ctx: Context, query: Any) -> None: ...\n"
    ),
    "services/pool.py": "from typing import Any\nclass Runtime:\n    pool: Any\n",
    "api/routes/things.py": (
        "async def create(request, body, principal):\n"
        "    async with begin_write(request, principal, body) as write:\n"
        "        if write.replayed:\n"
        "            return write.replayed\n"
        "        return await write.respond(201, {})\n"
    ),
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (untyped_answers, ["services/views.py:view"]),
        (use_cases_off_the_shape, ["services/catalog.py:sync", "services/catalog.py:read"]),
        (unit_of_work_outside_its_module, ["api/routes/things.py:2 begin_write"]),
        (untyped_store_edges, ["services/catalog.py:1 conn", "services/pool.py:3 pool"]),
    ],
)
def test_each_rule_sees_a_breach(rule: object, expected: list[str], tmp_path: Path) -> None:
    for name, text in BROKEN.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    found = rule(tmp_path)  # type: ignore[operator]
    for breach in expected:
        assert any(line.startswith(breach) for line in found), (breach, found)
