"""Fixtures for the CI tests: a repository with a small plan, a bare remote, a fake zipapp."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import git

PLAN = """\
version: 1
orchestrator:
  approvals:
    required: [deploy]
tasks:
  - id: lint
    commands: {lint: "test -f README.md"}
  - id: build.x
    dependencies: [lint]
    commands: {build: "echo built"}
    secrets: [API_TOKEN]
  - id: test
    dependencies: [build.x]
    commands: {t: "true"}
  - id: deploy
    type: deploy
    dependencies: [test, lint]
    commands: {d: "true"}
"""


def write_pyz(path: Path) -> None:
    """An `orch.pyz` that starts the gitorch under test (the real zipapp takes a build)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__main__.py", "import runpy\nrunpy.run_module('gitorch', run_name='__main__')\n")


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`git orch ARGS` in a subprocess, as CI runs it."""
    import subprocess

    proc = subprocess.run(["git", "orch", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    return proc.returncode, proc.stdout, proc.stderr


def orch(cwd: Path, *args: str) -> tuple[int, str, str]:
    """`git orch ARGS` in this process (typer's runner): the same app, no start-up cost."""
    from typer.testing import CliRunner

    from gitorch import config
    from gitorch.cli.app import app

    config._cache.clear()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args), prog_name="git orch")
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def planned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository holding PLAN and README.md; the current directory."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "orchestrator.yml").write_text(PLAN)
    (path / "README.md").write_text("# r\n")
    git(path, "add", "orchestrator.yml", "README.md")
    git(path, "commit", "-qm", "plan")
    monkeypatch.chdir(path)
    return path
