"""The pre-commit guard: a commit whose staged manifests hold an active workspace link is refused.

Real repositories: the workspace fixture's Python and Node consumers, linked by `ws apply`,
with gitorch's hooks installed by `git orch hooks install`; commits made by git as a user would.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import OrchRunner, git
from tests.workspace.fixtures import build

LINKS = [("app_uv", "pylib"), ("npmapp", "npmlib")]


def _commit(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ)
    full.pop("GITORCH_ALLOW_LINKS", None)
    full.update(env or {})
    return subprocess.run(["git", "commit", "-q", *args], cwd=repo, capture_output=True, text=True,
                          env=full, timeout=60)


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any, orch: OrchRunner) -> Path:
    """The workspace's root folder, hooks installed in both consumers, the links applied."""
    hub = build(tmp_path / "ws", links=LINKS)
    monkeypatch.chdir(hub)
    for consumer, _ in LINKS:
        proc = orch("hooks", "install", cwd=hub.parent / consumer)
        assert proc.returncode == 0, proc.stderr
        assert os.access(hub.parent / consumer / ".git" / "hooks" / "pre-commit", os.X_OK)
    assert cli("ws", "apply").exit_code == 0
    return hub.parent


def test_a_staged_link_is_refused_with_file_line_and_teardown(linked: Path, cli: Any) -> None:
    npm = linked / "npmapp"
    git(npm, "add", "package.json")
    refused = _commit(npm, "-m", "oops")
    assert refused.returncode == 1
    assert "package.json:6: npmlib -> file:../npmlib" in refused.stderr
    assert "git orch ws teardown" in refused.stderr and "GITORCH_ALLOW_LINKS=1" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert git(npm, "log", "--format=%s", "-1") != "oops"
    # the Python consumer too, through `git commit PATH` (git's temporary index)
    uv = linked / "app_uv"
    refused = _commit(uv, "-m", "oops", "pyproject.toml")
    assert refused.returncode == 1 and "pyproject.toml:14: pylib -> ../pylib" in refused.stderr
    # an edit beside the unstaged link commits: the guard reads the index, not the work tree
    (uv / "NOTES.md").write_text("notes\n")
    git(uv, "add", "NOTES.md")
    assert _commit(uv, "-m", "notes").returncode == 0
    # after teardown the manifests are back, and the same commit goes through
    assert cli("ws", "teardown").exit_code == 0
    (npm / "index.js").write_text("module.exports = 1\n")
    git(npm, "add", "package.json", "index.js")
    done = _commit(npm, "-m", "index")
    assert done.returncode == 0, done.stderr
    assert git(npm, "log", "--format=%s", "-1") == "index"


def test_allow_links_lets_it_through(linked: Path, orch: OrchRunner) -> None:
    npm = linked / "npmapp"
    git(npm, "add", "package.json")
    # the hook's fallback when its interpreter is gone: `git orch observe --trigger pre-commit`
    fallback = orch("observe", "--trigger", "pre-commit", cwd=npm)
    assert fallback.returncode == 1 and "package.json:6: npmlib" in fallback.stderr
    proc = _commit(npm, "-m", "keep the link", env={"GITORCH_ALLOW_LINKS": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "file:../npmlib" in git(npm, "show", "HEAD:package.json")


def test_a_repository_without_a_manifest_is_untouched(repo: Path, orch: OrchRunner) -> None:
    assert orch("hooks", "install", cwd=repo).returncode == 0
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    # without pyproject.toml/package.json the sh part exits before Python: a broken
    # interpreter path in the hook shows that nothing else ran
    hook = repo / ".git" / "hooks" / "pre-commit"
    text = hook.read_text()
    hook.write_text(text.replace("GITORCH_PYTHON='", "GITORCH_PYTHON='/nonexistent", 1))
    proc = _commit(repo, "-m", "plain", env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_status_and_uninstall_cover_pre_commit(repo: Path, orch: OrchRunner) -> None:
    assert orch("hooks", "install", cwd=repo).returncode == 0
    status = orch("hooks", "status", cwd=repo)
    assert "pre-commit: installed" in status.stdout
    assert orch("hooks", "uninstall", cwd=repo).returncode == 0
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()


def test_the_guard_reads_the_manifests_linkguard_knows() -> None:
    from gitorch.hooks import precommit
    from gitorch.workspace import linkguard

    assert precommit.MANIFESTS == linkguard.MANIFESTS
