"""The git helper every gitorch git call goes through."""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.gitcmd import git as orch_git
from tests.conftest import git, make_repo


def test_own_checkouts_do_not_fire_gitorch_hooks(tmp_path: Path) -> None:
    """A checkout gitorch makes (e.g. in a workspace repo) runs hooks with GITORCH_HOOKS=0."""
    repo = make_repo(tmp_path / "r")
    git(repo, "branch", "other")
    seen = tmp_path / "seen"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f'#!/bin/sh\necho "${{GITORCH_HOOKS-unset}}" >> "{seen}"\n')
    hook.chmod(0o755)
    orch_git(["checkout", "-q", "other"], repo)
    assert seen.read_text().split() == ["0"]


def test_git_repo_variables_do_not_leak(tmp_path: Path, monkeypatch) -> None:
    """Inside a hook git exports GIT_DIR; a call on another repository must not inherit it."""
    a = make_repo(tmp_path / "a")
    b = make_repo(tmp_path / "b", {"only-in-b.txt": "b\n"})
    monkeypatch.setenv("GIT_DIR", str(a / ".git"))
    out = orch_git(["ls-files"], b).stdout.decode()
    assert "only-in-b.txt" in out
    assert os.environ["GIT_DIR"] == str(a / ".git")

