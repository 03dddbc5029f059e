"""The source tree a fleet run's stack runs (bench/fleet.py): this one, or an older commit checked
out in a temporary git worktree for the baseline, and the proof that the children ran it."""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT
from bench.faults_stack import TreeDevStack

# one module of fleet control: a tree without it is a tree before fleet control
FLEET_MODULE = Path("activities/destinations.py")


def git(*args: str) -> str:
    """A git command in this repository; its output."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def this_tree() -> str:
    """How the report names the tree the bench runs from."""
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return f"this tree ({git('rev-parse', '--short', 'HEAD')}{' + changes' if dirty else ''})"


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """`commit` checked out (detached) in a temporary worktree, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="entrygo-baseline-"))
    tree = parent / "tree"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(parent, ignore_errors=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "prune"],
            check=False,
            capture_output=True,
        )


def verify_tree(dev: TreeDevStack) -> str:
    """Check that the stack's Python children run the tree's code, not this one's: the worker's
    working directory is the tree, and the tree's packages are what its environment imports.
    Returns a line for the run's log."""
    tree = dev.tree
    worker = dev.child("worker").pid
    cwd = Path(os.readlink(f"/proc/{worker}/cwd"))
    probe = "import activities, workflows, entrygo; print(activities.__file__)"
    imported = subprocess.run(
        ["env", "-C", str(tree), sys.executable, "-c", probe],
        env=dev.env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if cwd != tree or not Path(imported).is_relative_to(tree):
        raise RuntimeError(f"the children do not run {tree}: worker cwd {cwd}, imports {imported}")
    fleet = "with" if (tree / FLEET_MODULE).exists() else "without"
    return f"worker runs {tree} (imports {imported}; {fleet} {FLEET_MODULE})"
