"""Freeze: workspace.lock, apply --frozen back to exactly those commits, and detached HEADs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .fixtures import build, git, tree_digest


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The five-ecosystem repos without links (so a frozen apply moves only commits)."""
    hub = build(tmp_path / "ws", links=[])
    monkeypatch.chdir(hub)
    return hub


def heads(root: Path) -> dict[str, str]:
    return {p.name: git(p, "rev-parse", "HEAD") for p in sorted(root.iterdir()) if (p / ".git").exists()}


def test_freeze_move_apply_frozen_is_byte_identical(bare: Path, cli: Any) -> None:
    root = bare.parent
    assert cli("ws", "freeze").exit_code == 0
    lock = (bare / "workspace.lock").read_bytes()
    assert cli("ws", "freeze").exit_code == 0 and (bare / "workspace.lock").read_bytes() == lock
    assert lock.count(b"[[repos]]") == 11 and b'name = "hub"' not in lock  # the lock's own repo
    frozen_tree, frozen_heads = tree_digest(root), heads(root)

    (root / "golib" / "extra.go").write_text("package golib\n")  # new work on main
    git(root / "golib", "add", "extra.go")
    git(root / "golib", "commit", "-qm", "more")
    git(root / "npmlib", "checkout", "-qb", "feature")
    (root / "npmlib" / "index.js").write_text("module.exports = 2\n")
    git(root / "npmlib", "add", "index.js")
    git(root / "npmlib", "commit", "-qm", "feature work")
    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    differs = sorted(d["repo"] for d in snap["diagnostics"] if d["kind"] == "lock_differs")
    assert differs == ["golib", "npmlib"]
    planned = json.loads(cli("ws", "plan", "--frozen", "--json").stdout)
    assert sorted(op["target"] for op in planned["operations"]) == ["golib", "npmlib"]

    result = cli("ws", "apply", "--frozen")
    assert result.exit_code == 0, result.output
    assert tree_digest(root) == frozen_tree and heads(root) == frozen_heads
    assert git(root / "npmlib", "branch", "--show-current") == "main"  # its branch: no detached HEAD
    status = cli("ws", "status").stdout
    assert "golib            DETACHED" in status  # main moved on, so the lock's commit is detached
    assert git(root / "golib", "log", "-1", "--format=%s", "main") == "more"  # nothing lost


def test_frozen_apply_refuses_dirty_repo_or_missing_commit_and_moves_nothing(bare: Path, cli: Any) -> None:
    root = bare.parent
    assert cli("ws", "freeze").exit_code == 0
    git(root / "npmlib", "checkout", "-qb", "feature")
    (root / "npmlib" / "index.js").write_text("module.exports = 2\n")
    git(root / "npmlib", "add", "index.js")
    git(root / "npmlib", "commit", "-qm", "feature work")
    (root / "npmlib" / "index.js").write_text("uncommitted\n")
    before, moved = tree_digest(root), heads(root)
    result = cli("ws", "apply", "--frozen")
    assert result.exit_code == 1
    assert "repo npmlib has uncommitted changes (index.js)" in result.output
    assert tree_digest(root) == before and heads(root) == moved

    git(root / "npmlib", "checkout", "-q", "index.js")
    lock = bare / "workspace.lock"
    lock.write_text(lock.read_text().replace(moved["golib"], "0" * 40))
    result = cli("ws", "apply", "--frozen")
    assert result.exit_code == 1
    assert f"repo golib: commit {'0' * 12} (workspace.lock) is not in" in result.output
    assert heads(root) == moved and git(root / "npmlib", "branch", "--show-current") == "feature"


def test_detached_head_is_said_and_its_commits_never_lost(bare: Path, cli: Any) -> None:
    root = bare.parent
    assert cli("ws", "freeze").exit_code == 0
    golib = root / "golib"
    git(golib, "checkout", "-q", "--detach")
    (golib / "wip.go").write_text("package golib\n")
    git(golib, "add", "wip.go")
    git(golib, "commit", "-qm", "work on a detached HEAD")
    work = git(golib, "rev-parse", "HEAD")
    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    said = [d["message"] for d in snap["diagnostics"]
            if d["repo"] == "golib" and d["kind"] == "detached_head"]
    assert said == [f"HEAD is detached at {work[:12]}; 1 commit(s) there are on no branch: "
                    "`git branch NAME` keeps them"]
    status = json.loads(cli("ws", "status", "--json").stdout)
    golib_status = next(s for s in status if s["repo"] == "golib")
    assert golib_status["branch"] is None and "on no branch" in golib_status["detached"]
    assert "lock: at" in cli("ws", "status").stdout
    for extra in ([], ["--force"]):
        result = cli("ws", "apply", "--frozen", *extra)
        assert result.exit_code == 1 and "would lose them" in result.output
        assert git(golib, "rev-parse", "HEAD") == work
    git(golib, "branch", "keep")
    assert cli("ws", "apply", "--frozen").exit_code == 0
    assert git(golib, "log", "-1", "--format=%s", "keep") == "work on a detached HEAD"


def test_bad_lock_is_a_located_error(bare: Path, cli: Any) -> None:
    (bare / "workspace.lock").write_text('version = 1\n[[repos]]\nname = "golib"\ncommit = "abc"\n')
    result = cli("ws", "apply", "--frozen")
    assert result.exit_code == 2
    assert "workspace.lock" in result.output and "repos[0]" in result.output
    assert "full commit id" in result.output
