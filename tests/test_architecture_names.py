"""Python names inside, wire names at the edge: readiness and status are enum members outside
their vocabulary's module, and every model of ours has snake_case attributes."""

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from domain.status import ApprovalState, ExportStatus, Readiness
from tests.support.imports import ROOT

# the one module that may spell the vocabulary out
VOCABULARY = ROOT / "domain" / "status.py"
# the packages that may import domain/ (entrygo_mcp, sandbox and bench speak the wire, through
# the SDK or HTTP, and compare what it says)
SCOPE = ("domain", "store", "workflows", "activities", "services", "api", "entrygo")
# the same word in another vocabulary: (module, word, whose word it is)
OTHER_VOCABULARIES = {
    ("workflows/lifecycle.py", "REJECTED"): "a broker outcome's status",
    ("services/webhooks.py", "PENDING"): "a webhook delivery's status",
}
STATE_NAMES = frozenset(
    member.value for enum in (Readiness, ExportStatus, ApprovalState) for member in enum
)
SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")


def _constants(node: ast.expr) -> Iterator[ast.Constant]:
    """The string constants a comparison operand spells: itself, or a literal collection's items."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for item in node.elts:
            yield from _constants(item)


def bare_state_comparisons(source: str) -> list[tuple[int, str]]:
    """(line, name) of each readiness or status name compared as a bare string literal, in an
    `==`/`!=`/`in`/`is` comparison or a `case` pattern."""
    found = []
    for node in ast.walk(ast.parse(source)):
        operands: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            operands = [node.value]
        for operand in operands:
            found += [(c.lineno, c.value) for c in _constants(operand) if c.value in STATE_NAMES]
    return found


def production_files() -> Iterator[Path]:
    for package in SCOPE:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_readiness_and_status_are_compared_as_enum_members() -> None:
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {name!r}"
        for path in production_files()
        if path != VOCABULARY
        for line, name in bare_state_comparisons(path.read_text(encoding="utf-8"))
        if (path.relative_to(ROOT).as_posix(), name) not in OTHER_VOCABULARIES
    ]
    assert offences == [], "compare against Readiness / ExportStatus / ApprovalState members"


def test_the_scanner_sees_each_form_of_comparison() -> None:
    source = """
if readiness == "READY": pass
if "BLOCKED" != status: pass
if status in ("COMPLETED", "EXPIRED"): pass
if status not in {"EXECUTED"}: pass
match approval:
    case "PENDING": pass
if kind == "webhook" or readiness == Readiness.READY: pass
"""
    assert bare_state_comparisons(source) == [
        (2, "READY"),
        (3, "BLOCKED"),
        (4, "COMPLETED"),
        (4, "EXPIRED"),
        (5, "EXECUTED"),
        (7, "PENDING"),
    ]


# every package whose models are ours (the SDK, a distribution of its own, keeps the public
# SDK's camelCase attributes; entrygo_mcp and sandbox define no models of the wire)
MODEL_PACKAGES = ("domain", "store", "workflows", "activities", "services", "api", "config")


def our_models() -> list[type[BaseModel]]:
    """Every pydantic model class defined in our packages."""
    for package in MODEL_PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            importlib.import_module(info.name)
    seen: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                pending.append(sub)
    return [m for m in seen if m.__module__.split(".")[0] in MODEL_PACKAGES]


def test_models_have_snake_case_attributes() -> None:
    models = our_models()
    packages = {m.__module__.split(".")[0] for m in models}
    # the scan found the planning, document, pack, message, view and request models
    assert len(models) > 80
    assert {"domain", "workflows", "services", "api"} <= packages
    offences = [
        f"{m.__module__}.{m.__qualname__}.{name}"
        for m in models
        for name in m.model_fields
        if not SNAKE.match(name)
    ]
    assert offences == [], "snake_case attributes; the wire's name goes in the alias"
