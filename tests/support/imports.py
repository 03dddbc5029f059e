"""Reads our packages' imports with `ast` (for the architecture tests)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = (
    "config", "signing", "domain", "store", "workflows", "services", "activities", "api",
    "sandbox", "entrygo", "entrygo_mcp", "observability", "bench",
)  # fmt: skip


def modules(package: str, root: Path = ROOT) -> dict[str, list[str]]:
    """Module name → the absolute module names it imports."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        imported: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.level == 0, f"{name}: relative import"
                imported += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        out[name] = imported
    return out


ALL = {package: modules(package) for package in OURS}
"""Every package of ours: module name → what it imports."""


def crossings(package: str, rule: object) -> list[str]:
    return [
        f"{module} imports {target}"
        for module, targets in ALL[package].items()
        for target in targets
        if rule(target)  # type: ignore[operator]
    ]
