"""Helpers of the in-process engine tests: a Context over a real temporary repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from gitorch.context import Context, build_context
from tests.conftest import ROOT, git, make_repo


def write_plan(root: Path, tasks: list[dict[str, Any]], **top: Any) -> None:
    (root / "orchestrator.json").write_text(json.dumps({"version": 1, **top, "tasks": tasks}, indent=1))


def plan_repo(path: Path, files: dict[str, str], tasks: list[dict[str, Any]]) -> Path:
    """A real repository at `path` holding `files` and a committed plan of `tasks`."""
    root = make_repo(path, files)
    write_plan(root, tasks)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    return root


def fresh_context(root: Path) -> Context:
    """A new Context (a new command): settings and the store read again."""
    from gitorch import config

    config._cache.clear()
    return build_context(cwd=root)




def orch_with_site(repo: Path, *args: str, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess at `repo`; with `site`, a folder whose sitecustomize.py
    the interpreter runs first (to strike at an exact point of a run)."""
    path = [str(ROOT)] + ([str(site)] if site else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    code = "import sys; from gitorch.cli.entry import main; sys.argv[0] = 'git-orch'; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=120)
