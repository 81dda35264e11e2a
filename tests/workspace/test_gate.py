"""`ws gate` and the active-link finder the pre-commit guard calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitorch.workspace.linkguard import active_links

from .fixtures import LINKS, git
from .test_effective import NPM, small_workspace


def test_every_ecosystems_link_is_found_with_file_and_line(hub: Path, cli: Any) -> None:
    root = hub.parent
    assert all(active_links(root / c) == [] for c, _ in LINKS)
    assert cli("ws", "apply").exit_code == 0
    found = {c: [lk.describe() for lk in active_links(root / c)] for c, _ in LINKS}
    assert found == {
        "app_uv": ["pyproject.toml:14: pylib -> ../pylib"],
        "app_pep": [f"pyproject.toml:4: pylib -> {(root / 'pylib').as_uri()}"],
        "rapp": [".cargo/config.toml:2: rcrate -> ../rcrate"],
        "goapp": ["go.work:5: example.com/golib -> ../golib"],
        "npmapp": ["package.json:6: npmlib -> file:../npmlib"],
        "exapp": ["mix.exs:15: exlib -> ../exlib"],
    }
    # The guard can read the staged bytes instead: nothing is staged yet.
    staged = active_links(root / "npmapp", read=lambda name: _staged(root / "npmapp", name))
    assert staged == []
    git(root / "npmapp", "add", "package.json")
    staged = active_links(root / "npmapp", read=lambda name: _staged(root / "npmapp", name))
    assert [lk.dep for lk in staged] == ["npmlib"]


def _staged(repo: Path, name: str) -> bytes | None:
    import subprocess

    proc = subprocess.run(["git", "show", f":{name}"], cwd=repo, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


@pytest.fixture
def pushed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """npmlib, npmapp and the hub, each pushed to its own bare remote."""
    hub = small_workspace(tmp_path / "ws", NPM, [("npmapp", "npmlib")])
    for repo in sorted((tmp_path / "ws").iterdir()):
        remote = tmp_path / "remotes" / f"{repo.name}.git"
        git(tmp_path, "init", "-q", "--bare", str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "-u", "origin", "main")
    monkeypatch.chdir(hub)
    return hub


def test_gate_passes_only_when_clean_on_a_branch_pushed_and_unlinked(pushed: Path, cli: Any) -> None:
    root = pushed.parent
    result = cli("ws", "gate")
    assert result.exit_code == 0, result.output
    assert cli("ws", "apply").exit_code == 0
    result = cli("ws", "gate", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failures"] == [
        "npmapp: 1 uncommitted change(s)",
        "npmapp: active link package.json:4: npmlib -> file:../npmlib",
    ]
    assert cli("ws", "teardown").exit_code == 0
    (root / "npmlib" / "more.js").write_text("1\n")
    git(root / "npmlib", "add", "more.js")
    git(root / "npmlib", "commit", "-qm", "more")
    git(root / "hub", "checkout", "-q", "--detach")
    result = cli("ws", "gate")
    assert result.exit_code == 1
    assert "npmlib: 1 commit(s) not pushed to origin/main" in result.output
    assert "hub: detached HEAD at" in result.output
    git(root / "npmlib", "push", "-q")
    git(root / "hub", "checkout", "-q", "main")
    assert cli("ws", "gate").exit_code == 0
