"""Tests share helpers only through tests/support/: a test module never imports another test
module or a conftest.py (pytest hands fixtures to tests; importing a conftest runs it twice under
two names, and importing a test module collects its tests again)."""

from pathlib import Path

from tests.support.imports import ROOT, modules


def wrong_imports(root: Path = ROOT) -> list[str]:
    """Every import under `root`/tests of a `tests.` module outside tests/support/, or of a
    conftest."""
    return [
        f"{module} imports {target}"
        for module, targets in modules("tests", root).items()
        for target in targets
        if "conftest" in target.split(".")
        or (target.startswith("tests.") and target.split(".")[1] != "support")
    ]


def test_tests_import_helpers_only_from_support() -> None:
    assert wrong_imports() == []


def test_the_rule_catches_a_test_module_and_a_conftest(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "api").mkdir(parents=True)
    (tests / "support").mkdir()
    (tests / "support" / "builders.py").write_text("X = 1\n")
    (tests / "conftest.py").write_text("from tests.support.builders import X\n")
    (tests / "api" / "test_a.py").write_text(
        "from tests.support.builders import X\n"
        "from tests.api.test_b import helper\n"
        "from tests.conftest import Tenant\n"
        "import tests.e2e.conftest\n"
    )
    assert wrong_imports(tmp_path) == [
        "tests.api.test_a imports tests.api.test_b",
        "tests.api.test_a imports tests.api.test_b.helper",
        "tests.api.test_a imports tests.conftest",
        "tests.api.test_a imports tests.conftest.Tenant",
        "tests.api.test_a imports tests.e2e.conftest",
    ]
