"""One workflow, read in one place, and one table of activity names (docs/architecture.md).

- workflows/ declares exactly the workflow classes of WORKFLOW_MODULES, one per module (the
  export and, for fleet control, the destination), and no class of workflows/ inherits from
  another: a workflow holds its state and its ledger, it is not assembled from base classes.
- Workflow code is deterministic by construction: workflows/ and domain/ (which the workflows
  import) never import a module of clocks, randomness, processes or I/O, and never call a clock,
  `asyncio.sleep` or `open`. The worker runs workflows outside the SDK's sandbox
  (`entrygo.worker.RUNNER`), so this rule, the strict sandbox of the workflow tests and the
  replay tests are what keep a workflow replaying as it ran.
- Activities are named once, in `domain.activities.ActivityName`: no string literal in
  workflows/ is an activity's name, and every `@activity.defn` in activities/ takes its name from
  the table, so a reader (or a tool) follows each call from the workflow to its activity.

Read with `ast`, so a rule fails whatever the code does at run time.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from domain.activities import ActivityName
from tests.support.imports import ROOT

TABLE = "ActivityName"


def trees(package: str, root: Path = ROOT) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((root / package).rglob("*.py")):
        yield str(path.relative_to(root)), ast.parse(path.read_text(encoding="utf-8"))


def _named(node: ast.expr) -> str:
    """`workflow.defn`, `workflow.defn(...)`, `defn` → the dotted name called or used."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return f"{_named(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def workflow_classes(root: Path = ROOT) -> list[str]:
    return [
        f"{path}:{node.name}"
        for path, tree in trees("workflows", root)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(_named(d) in ("workflow.defn", "defn") for d in node.decorator_list)
    ]


def inheritance_within(root: Path = ROOT) -> list[str]:
    """Classes of workflows/ whose bases are classes of workflows/."""
    ours = {
        node.name
        for _, tree in trees("workflows", root)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }
    return [
        f"{path}:{node.name}({_named(base)})"
        for path, tree in trees("workflows", root)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for base in node.bases
        if _named(base).rsplit(".", maxsplit=1)[-1] in ours
    ]


def activity_name_literals(root: Path = ROOT) -> list[str]:
    names = {str(name) for name in ActivityName}
    return [
        f"{path}:{node.lineno}: {node.value!r}"
        for path, tree in trees("workflows", root)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]


def activity_definitions(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(names taken from the table, `@activity.defn`s that do not take their name from it)."""
    named, offending = [], []
    for path, tree in trees("activities", root):
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if _named(decorator) not in ("activity.defn", "defn"):
                    continue
                name = None
                if isinstance(decorator, ast.Call):
                    name = next((k.value for k in decorator.keywords if k.arg == "name"), None)
                if (
                    isinstance(name, ast.Attribute)
                    and _named(name.value) == TABLE
                    and name.attr in ActivityName.__members__
                ):
                    named.append(str(ActivityName[name.attr]))
                else:
                    offending.append(f"{path}:{node.lineno}: {node.name}")
    return named, offending


WORKFLOW_MODULES = [
    "workflows/destination.py:DestinationWorkflow",
    "workflows/export.py:ExportWorkflow",
]


def test_the_workflow_classes_are_the_export_and_the_destination() -> None:
    assert workflow_classes() == WORKFLOW_MODULES


def test_no_workflow_class_inherits_another() -> None:
    assert inheritance_within() == []


def test_no_activity_name_is_a_string_in_workflows() -> None:
    assert activity_name_literals() == []


def test_every_activity_takes_its_name_from_the_table() -> None:
    named, offending = activity_definitions()
    assert offending == []
    # and every name of the table is defined, once
    assert sorted(named) == sorted(str(name) for name in ActivityName)


# ---- the rules fail when broken ------------------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "workflows/a.py": (
                "from temporalio import workflow\n"
                "class Base:\n    pass\n"
                "@workflow.defn\nclass One(Base):\n    pass\n"
                "@workflow.defn(name='Two')\nclass Two:\n"
                "    async def run(self):\n"
                "        await workflow.execute_activity('plan_export')\n"
            ),
            "activities/b.py": (
                "from temporalio import activity\n"
                "from domain.activities import ActivityName\n"
                "@activity.defn(name='record_transition')\nasync def literal(): ...\n"
                "@activity.defn\nasync def implicit(): ...\n"
                "@activity.defn(name=ActivityName.PLAN_EXPORT)\nasync def tabled(): ...\n"
            ),
        },
    )
    assert workflow_classes(root) == ["workflows/a.py:One", "workflows/a.py:Two"]
    assert inheritance_within(root) == ["workflows/a.py:One(Base)"]
    assert activity_name_literals(root) == ["workflows/a.py:10: 'plan_export'"]
    assert activity_definitions(root) == (
        ["plan_export"],
        ["activities/b.py:4: literal", "activities/b.py:6: implicit"],
    )


# modules whose use makes a run differ from its replay: clocks, randomness, processes, I/O, and
# our own packages that do I/O or read the environment (importlib.resources reads packaged data)
NONDETERMINISTIC_MODULES = frozenset(
    {
        *("os", "uuid", "random", "secrets", "time", "socket", "threading", "subprocess"),
        *("pathlib", "asyncpg", "httpx"),
        *("store", "activities", "services", "api", "config", "entrygo", "observability"),
    }
)
CLOCKS = frozenset({"now", "utcnow", "today"})
WAITS = frozenset({"sleep", "open"})


def _forbidden_call(name: str) -> bool:
    """A clock, a sleep or `open`, unless the workflow's own (`workflow.now`, `workflow.sleep`:
    durable, replayed from history)."""
    last = name.rsplit(".", maxsplit=1)[-1]
    return (last in CLOCKS or last in WAITS) and not name.startswith("workflow.")


def nondeterminism(root: Path = ROOT) -> list[str]:
    """Imports of NONDETERMINISTIC_MODULES (and of asyncio's sleep) and calls of a clock other
    than `workflow.now`, of a sleep or of `open`, in workflows/ and domain/."""
    found = []
    for package in ("workflows", "domain"):
        for path, tree in trees(package, root):
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                    if node.module == "asyncio":
                        modules += [f"asyncio.{a.name}" for a in node.names if a.name in WAITS]
                else:
                    modules = []
                found += [
                    f"{path}:{node.lineno}: import {m}"
                    for m in modules
                    if m.split(".")[0] in NONDETERMINISTIC_MODULES or m == "asyncio.sleep"
                ]
                if isinstance(node, ast.Call) and _forbidden_call(_named(node.func)):
                    found.append(f"{path}:{node.lineno}: {_named(node.func)}()")
    return found


def test_workflow_code_reads_no_clock_randomness_or_io() -> None:
    assert nondeterminism() == []


def test_the_determinism_rule_sees_a_clock_and_an_import(tmp_path: Path) -> None:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "domain").mkdir()
    (tmp_path / "workflows" / "w.py").write_text(
        "import datetime as dt\nimport uuid\nfrom temporalio import workflow\n\n"
        "def f():\n    return dt.datetime.now(), workflow.now(), workflow.sleep(1)\n"
    )
    (tmp_path / "domain" / "d.py").write_text(
        "from time import monotonic\nfrom asyncio import sleep, gather\nfrom store import db\n"
    )
    assert nondeterminism(tmp_path) == [
        "workflows/w.py:2: import uuid",
        "workflows/w.py:6: dt.datetime.now()",
        "domain/d.py:1: import time",
        "domain/d.py:2: import asyncio.sleep",
        "domain/d.py:3: import store",
    ]
