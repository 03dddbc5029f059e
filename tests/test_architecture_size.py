"""No module over 400 lines in any package of the repository (the SDK, the MCP server and the
harnesses of bench/ included): a module that grows past it holds more than one role and is split
by role. Tests are exempt (a test module is a list of cases)."""

from pathlib import Path

from tests.support.imports import ROOT

LIMIT = 400


def oversized(root: Path = ROOT) -> list[str]:
    """Every .py file under `root` outside tests/ and hidden directories (.venv, .git, caches)
    with more than LIMIT lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] == "tests" or any(part.startswith(".") for part in parts):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LIMIT:
            found.append(f"{'/'.join(parts)}: {lines} lines")
    return found


def test_no_module_outside_tests_is_over_the_limit() -> None:
    assert oversized() == []


def test_the_limit_catches_a_long_module_anywhere_but_tests(tmp_path: Path) -> None:
    long, limit = "x = 1\n" * (LIMIT + 1), "x = 1\n" * LIMIT
    for where, text in [
        ("bench/harness.py", long),
        ("sdk/python/client/models.py", long),
        ("api/console/pages.py", limit),
        ("tests/api/test_long.py", long),
        (".venv/lib/site.py", long),
    ]:
        (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / where).write_text(text)
    assert oversized(tmp_path) == [
        f"bench/harness.py: {LIMIT + 1} lines",
        f"sdk/python/client/models.py: {LIMIT + 1} lines",
    ]
