"""The store's edge is typed: every connection and pool is declared with store/db.py's protocols.

asyncpg has no type information, so a connection annotated `Any`, annotated with one of the
driver's own classes (which mypy also reads as `Any`), or not annotated at all turns every call on
it, and every row it returns, into an unchecked `Any`. This test reads every parameter and every
annotated assignment named `conn`, `connection` or `pool` with `ast` and refuses those.

A lambda's parameters are not read: they cannot be annotated, and take their type from the
callable type of the parameter the lambda is passed to, which is read.
"""

import ast
from pathlib import Path

from tests.support.imports import ROOT

PACKAGES = ("store", "services", "api", "activities", "entrygo", "observability")
HANDLES = {"conn", "connection", "pool"}


def _untyped(annotation: ast.expr | None) -> str | None:
    """Why an annotation leaves a handle untyped, or None when it types it."""
    if annotation is None:
        return "not annotated"
    for node in ast.walk(annotation):
        if (isinstance(node, ast.Name) and node.id == "Any") or (
            isinstance(node, ast.Attribute) and node.attr == "Any"
        ):
            return "Any"
        if isinstance(node, ast.Name) and node.id == "asyncpg":
            return "the driver's class (Any to mypy)"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            inner = ast.parse(node.value, mode="eval").body  # a quoted annotation
            if (why := _untyped(inner)) is not None:
                return why
    return None


def untyped_handles(path: Path, root: Path = ROOT) -> list[str]:
    """`file:line name: why` for each connection or pool of the module that is left untyped."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        named: list[tuple[str, int, ast.expr | None]] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            named = [
                (a.arg, a.lineno, a.annotation)
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]
            ]
            named += [
                (f"*{a.arg}" if a is args.vararg else f"**{a.arg}", a.lineno, a.annotation)
                for a in (args.vararg, args.kwarg)
                if a is not None
            ]
        elif isinstance(node, ast.AnnAssign):
            target = node.target
            name = (
                target.id
                if isinstance(target, ast.Name)
                else target.attr
                if isinstance(target, ast.Attribute)
                else ""
            )
            named = [(name, node.lineno, node.annotation)]
        for name, line, annotation in named:
            if name.lstrip("*") in HANDLES and (why := _untyped(annotation)) is not None:
                found.append(f"{path.relative_to(root)}:{line} {name}: {why}")
    return found


def test_every_connection_and_pool_is_typed() -> None:
    found = [
        offender
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for offender in untyped_handles(path)
    ]
    assert not found, "declare these with store.db's Connection, Queries or Pool:\n" + "\n".join(
        found
    )


def test_the_scanner_refuses_what_is_untyped(tmp_path: Path) -> None:
    module = tmp_path / "store" / "repo.py"
    module.parent.mkdir()
    module.write_text(
        "from typing import Any\n"
        "import asyncpg\n"
        "from store.db import Connection, Pool, Queries\n"
        "async def a(conn: Any, n: Any) -> None: ...\n"
        "async def b(conn, *, pool: 'Any | None' = None) -> None: ...\n"
        "def c(connection: asyncpg.Connection, other: Connection) -> None: ...\n"
        "class D:\n"
        "    pool: typing.Any\n"
        "    def __init__(self, pool: Pool, conn: Queries | None = None) -> None:\n"
        "        self.conn: Connection | None = conn\n"
        "        self.pool: Any = pool\n"
        "        run(lambda conn: conn)\n",
        encoding="utf-8",
    )
    assert untyped_handles(module, tmp_path) == [
        "store/repo.py:4 conn: Any",
        "store/repo.py:5 conn: not annotated",
        "store/repo.py:5 pool: Any",
        "store/repo.py:6 connection: the driver's class (Any to mypy)",
        "store/repo.py:8 pool: Any",
        "store/repo.py:11 pool: Any",
    ]
