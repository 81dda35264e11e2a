"""Fixtures for hook tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git


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
