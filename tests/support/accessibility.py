"""axe-core (the npm package in tests/support/axe, installed from its lock file by `make axe`)
run on a page in Debian's Chromium: the page's violations by rule, impact and element. The app
never serves axe: the tests inject it into the page they look at."""

import os
from collections import Counter
from dataclasses import dataclass, field

import pytest
from playwright.async_api import BrowserContext, Page, Route

from tests.support.paths import ROOT

AXE_DIR = ROOT / "tests" / "support" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING = frozenset({"critical", "serious"})
# axe's default rules: WCAG 2.0 to 2.2 A and AA, and its best practices (landmarks, heading
# order, …)
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact || "minor", help: v.help,
    targets: v.nodes.map(n => n.target.map(String).join(" ")),
  }));
}"""


def require_axe() -> None:
    """Skip without the installed axe-core (`make axe`), except in CI (CI=true), where a missing
    axe-core is a failure."""
    if AXE_SCRIPT.is_file():
        return
    message = f"axe-core is not installed: `make axe` (npm ci in {AXE_DIR})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class Violation:
    """One rule a page breaks, how badly, and where."""

    id: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        where = "\n".join(f"      {t}" for t in self.targets)
        return f"  [{self.impact}] {self.id}: {self.help}\n{where}"


@dataclass
class Checked:
    """What axe-core found on one page."""

    page: str
    url: str
    violations: list[Violation] = field(default_factory=list)

    def by_impact(self) -> dict[str, int]:
        """The number of rules broken at each impact, every impact named."""
        found = Counter(v.impact for v in self.violations)
        return {impact: found[impact] for impact in IMPACTS}

    def elements(self) -> int:
        return sum(len(v.targets) for v in self.violations)

    def failing(self) -> list[Violation]:
        return [v for v in self.violations if v.impact in FAILING]


async def _no_live_polls(route: Route) -> None:
    """The page's live refresh would swap <main> under axe: its polls go unanswered."""
    if route.request.headers.get("x-console-live") == "1":
        await route.abort()
    else:
        await route.continue_()


async def quiet(context: BrowserContext) -> None:
    """Hold the pages of `context` still (no live refresh) while they are checked."""
    await context.route("**/console**", _no_live_polls)


async def check(page: Page, name: str) -> Checked:
    """Run axe-core on the page as it is now (its context needs `bypass_csp=True`: the page's
    policy admits only the app's own script)."""
    require_axe()
    await page.wait_for_load_state("load")
    await page.add_script_tag(path=AXE_SCRIPT)
    found = await page.evaluate(RUN)
    return Checked(name, page.url, [Violation(**v) for v in found])


def report(checked: list[Checked]) -> str:
    """A table of the pages and the rules they break by impact, then every violation."""
    width = max(len(c.page) for c in checked)
    head = f"{'page':<{width}}  " + "  ".join(f"{i:>8}" for i in (*IMPACTS, "elements"))
    rows = [
        f"{c.page:<{width}}  "
        + "  ".join(f"{n:>8}" for n in (*c.by_impact().values(), c.elements()))
        for c in checked
    ]
    lines = ["", "axe-core violations per page (rules broken, by impact):", head, *rows]
    for c in checked:
        if c.violations:
            lines += [f"{c.page} ({c.url}):", *(str(v) for v in c.violations)]
    return "\n".join(lines)


def assert_accessible(checked: list[Checked]) -> None:
    """Fail on any serious or critical violation, naming every one of them."""
    failing = [c for c in checked if c.failing()]
    assert not failing, report(checked)
