"""Python names inside, wire names at the edge: readiness and status are enum members outside
their vocabulary's module, and every model of ours has snake_case attributes."""

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

from pydantic import BaseModel

from domain.status import ApprovalState, ExportStatus, Readiness
from tests.support.imports import ROOT

# the one module that may spell the vocabulary out
VOCABULARY = ROOT / "domain" / "status.py"
# the packages that may import domain/ (entrygo_mcp, sandbox and bench speak the wire, through
# the SDK or HTTP, and compare what it says)
SCOPE = ("domain", "store", "workflows", "activities", "services", "api", "entrygo")
# the same word in another vocabulary, exempt only where it is compared with that vocabulary's
# attribute: (module, the other operand as written, word) -> whose word it is
OTHER_VOCABULARIES = {
    ("workflows/lifecycle.py", "outcome.status", "REJECTED"): "a broker outcome's status",
    ("services/webhooks.py", "row.status", "PENDING"): "a webhook delivery's status",
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


def bare_state_comparisons(source: str) -> list[tuple[int, str, str]]:
    """(line, name, what it is compared with) of each readiness or status name compared as a
    bare string literal, in an `==`/`!=`/`in`/`is` comparison or a `case` pattern; what it is
    compared with is the other operand (the match subject for a pattern), as written."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(source)):
        # (operand that may spell names, the operand it is compared with)
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for left, right in pairwise(operands):
                pairs += [(left, right), (right, left)]
        elif isinstance(node, ast.Match):
            pairs = [
                (value.value, node.subject)
                for case in node.cases
                for value in ast.walk(case.pattern)
                if isinstance(value, ast.MatchValue)
            ]
        for operand, other in pairs:
            found += [
                (c.lineno, c.value, ast.unparse(other))
                for c in _constants(operand)
                if c.value in STATE_NAMES
            ]
    return sorted(set(found))


def production_files() -> Iterator[Path]:
    for package in SCOPE:
        yield from sorted((ROOT / package).rglob("*.py"))


def offences(module: str, source: str, exempted: set[tuple[str, str, str]]) -> list[str]:
    """Each bare comparison of `module` (its path under the root) that no other vocabulary's
    exemption covers; the exemptions used are added to `exempted`."""
    found = []
    for line, name, other in bare_state_comparisons(source):
        key = (module, other, name)
        if key in OTHER_VOCABULARIES:
            exempted.add(key)
        else:
            found.append(f"{module}:{line}: {name!r} compared with {other}")
    return found


def test_readiness_and_status_are_compared_as_enum_members() -> None:
    exempted: set[tuple[str, str, str]] = set()
    found = [
        offence
        for path in production_files()
        if path != VOCABULARY
        for offence in offences(
            path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"), exempted
        )
    ]
    assert found == [], "compare against Readiness / ExportStatus / ApprovalState members"
    # an exemption whose comparison is gone is dropped, not left to cover a new one
    assert exempted == set(OTHER_VOCABULARIES)


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
        (2, "READY", "readiness"),
        (3, "BLOCKED", "status"),
        (4, "COMPLETED", "status"),
        (4, "EXPIRED", "status"),
        (5, "EXECUTED", "status"),
        (7, "PENDING", "approval"),
    ]


def test_another_vocabulary_is_exempt_only_against_its_own_attribute() -> None:
    source = """
if outcome.status == "REJECTED": pass
if export.status == "REJECTED": pass
if "REJECTED" in (outcome.state,): pass
match outcome.status:
    case "REJECTED": pass
match status:
    case "REJECTED" | "PENDING": pass
"""
    exempted: set[tuple[str, str, str]] = set()
    assert offences("workflows/lifecycle.py", source, exempted) == [
        "workflows/lifecycle.py:3: 'REJECTED' compared with export.status",
        "workflows/lifecycle.py:4: 'REJECTED' compared with (outcome.state,)",
        "workflows/lifecycle.py:8: 'PENDING' compared with status",
        "workflows/lifecycle.py:8: 'REJECTED' compared with status",
    ]
    assert exempted == {("workflows/lifecycle.py", "outcome.status", "REJECTED")}
    # the same comparison in another module is no exemption
    assert offences("services/exports/review.py", source, set()) != []


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
