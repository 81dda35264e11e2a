"""Fixtures for hook tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git
from tests.hooks.hookutil import PLAN, orch


@pytest.fixture
def project(repo: Path) -> Path:
    """A repository with src/ and docs/, a second branch `feature` that changes src/a.py."""
    (repo / "src").mkdir()
    (repo / "src" / "a.py").write_text("a = 1\n")
    (repo / "src" / "b.py").write_text("b = 1\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "index.md").write_text("# docs\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "project")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "src" / "a.py").write_text("a = 2\n")
    git(repo, "commit", "-q", "-am", "change a")
    git(repo, "checkout", "-q", "main")
    return repo


@pytest.fixture
def ran(project: Path) -> Path:
    """`project` with PLAN committed and run once by `git orch run` (a real state branch,
    watch.json and watch-index.json)."""
    (project / "orchestrator.json").write_text(json.dumps(PLAN))
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "plan")
    assert orch(project, "run", "-j2").returncode == 0
    return project
