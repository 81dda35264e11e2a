"""Ephemeral workspaces (worktrees, expiry, gc) and repos cloned from a url (clean teardown)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gitorch.workspace.observe import quick_drift

from .fixtures import git, manifest_text, statuses, tree_digest


def expire(hub: Path, name: str) -> None:
    """Make the record of ephemeral workspace `name` say it expired a second ago."""
    (record,) = (hub / ".git").rglob(f"ephemeral/{name}.json")
    data = json.loads(record.read_text())
    data["expires_at"] = time.time() - 1
    record.write_text(json.dumps(data))


def test_new_list_gc(hub: Path, cli: Any) -> None:
    before = tree_digest(hub.parent)
    result: Any = cli("ws", "new", "try", "--repos", "npmlib,npmapp", "--ttl", "1h", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    folder = Path(record["path"])
    assert sorted(m["kind"] for m in record["members"]) == ["worktree", "worktree"]
    # The link is made inside the ephemeral copy only.
    assert '"file:../npmlib"' in (folder / "npmapp/package.json").read_text()
    assert tree_digest(hub.parent) == before
    assert "try" in git(hub.parent / "npmapp", "worktree", "list")
    listed = json.loads(cli("ws", "list", "--json").stdout)  # type: ignore[attr-defined]
    assert [r["name"] for r in listed] == ["try"]
    # A dirty ephemeral workspace is kept by gc until --force.
    expire(hub, "try")
    (folder / "npmlib/new.js").write_text("x\n")
    result = cli("ws", "gc", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["kept"] == [  # one JSON document, not it and an error
        {"name": "try", "reason": "npmlib has uncommitted changes (new.js)"}]
    assert folder.exists()
    result = cli("ws", "gc", "--force", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["removed"] == ["try"]
    assert not folder.exists()
    assert "try" not in git(hub.parent / "npmapp", "worktree", "list")
    assert json.loads(cli("ws", "list", "--json").stdout) == []  # type: ignore[attr-defined]
    assert all(s == "" for s in statuses(hub.parent).values())


def test_new_rejects_bad_input(hub: Path, cli: Any) -> None:
    assert cli("ws", "new", "x", "--repos", "nope").exit_code == 2  # type: ignore[attr-defined]
    assert cli("ws", "new", "x", "--repos", "pylib", "--ttl", "soon").exit_code == 2  # type: ignore[attr-defined]
    assert cli("ws", "list", "--json").stdout.strip() == "[]"  # type: ignore[attr-defined]


def test_clone_from_url_then_clean_teardown(hub: Path, cli: Any, tmp_path: Path) -> None:
    root = hub.parent
    remote = tmp_path / "extlib.git"
    git(tmp_path, "clone", "-q", "--bare", str(root / "pylib"), str(remote))
    git(remote, "tag", "v1", "main")
    (hub / "workspace.toml").write_text(manifest_text(links=[("app_uv", "pylib")]) +
                                        f'\n[[repos]]\nname = "extlib"\npath = "../extlib"\n'
                                        f'url = "{remote}"\n'
                                        'ref = "v1"\n')
    git(hub, "commit", "-qam", "clone extlib")
    before = tree_digest(root)
    result: Any = cli("ws", "apply", "--json")
    assert result.exit_code == 0, result.output
    assert (root / "extlib/pyproject.toml").exists()
    assert git(root / "extlib", "rev-parse", "--abbrev-ref", "HEAD") == "HEAD"  # detached at the tag
    # A commit made in the clone (not pushed) keeps it from being removed without --force.
    git(root / "extlib", "checkout", "-q", "-b", "work", "--track", "origin/main")
    (root / "extlib/new.txt").write_text("x\n")
    git(root / "extlib", "add", "new.txt")
    git(root / "extlib", "commit", "-qm", "local work")
    result = cli("ws", "teardown", "--mode", "clean")
    assert result.exit_code == 1 and "1 commit(s) not on origin/main" in result.output
    result = cli("ws", "teardown", "--mode", "clean", "--force", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed_repos"] == ["extlib"]
    assert not (root / "extlib").exists()
    assert tree_digest(root) == before


def test_clone_from_url_then_detach_keeps_it_and_verifies(hub: Path, cli: Any, tmp_path: Path) -> None:
    root = hub.parent
    remote = tmp_path / "extlib.git"
    git(tmp_path, "clone", "-q", "--bare", str(root / "pylib"), str(remote))
    extra = f'\n[[repos]]\nname = "extlib"\npath = "../extlib"\nurl = "{remote}"\n'
    (hub / "workspace.toml").write_text(manifest_text(links=[("app_uv", "pylib")]) + extra)
    git(hub, "commit", "-qam", "clone extlib")
    before = tree_digest(root)
    assert cli("ws", "apply").exit_code == 0
    result: Any = cli("ws", "teardown", "--json")  # detach: links undone, the clone kept
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verified"] is True
    assert (root / "extlib/pyproject.toml").exists()
    assert {k: v for k, v in tree_digest(root).items() if not k.startswith("extlib/")} == before


def test_quick_drift_imports_little_and_sees_branch_change(hub: Path, cli: Any) -> None:
    code = ("import sys, time\nfrom pathlib import Path\nt = time.perf_counter()\n"
            "from gitorch.workspace.observe import quick_drift\n"
            "lines = quick_drift(Path(sys.argv[1]))\n"
            "heavy = sorted(m for m in ('msgspec', 'pygit2', 'httpx', 'typer') if m in sys.modules)\n"
            "print(heavy, lines)\n")
    out = subprocess.run([sys.executable, "-c", code, str(hub)], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("[] []"), out.stdout
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]
    git(hub.parent / "rcrate", "checkout", "-q", "-b", "feature")
    lines = quick_drift(hub)
    assert lines == ["workspace: rcrate is on feature, the workspace has main (branch_changed)"]
    observed = json.loads(cli("ws", "observe", "--json").stdout)  # type: ignore[attr-defined]
    assert [(f["kind"], f["repo"]) for f in observed["findings"]] == [("branch_changed", "rcrate")]
    # Repair accepts the new branch (the links follow it); drift is gone.
    assert cli("ws", "repair").exit_code == 0  # type: ignore[attr-defined]
    assert quick_drift(hub) == []


def test_any_ws_command_removes_expired_ephemeral_workspaces(hub: Path, cli: Any) -> None:
    for name in ("done", "busy"):
        assert cli("ws", "new", name, "--repos", "npmlib", "--json").exit_code == 0
    busy = Path(json.loads(cli("ws", "list", "--json").stdout)[0]["path"])
    assert busy.name.startswith("gitorch-ws-busy-")
    git(busy / "npmlib", "commit", "-q", "--allow-empty", "-m", "work in the ephemeral copy")
    expire(hub, "done")
    expire(hub, "busy")
    result = cli("ws", "status")
    assert result.exit_code == 0
    assert "kept expired ephemeral workspace busy: npmlib has new commits" in result.output
    listed = json.loads(cli("ws", "list", "--json").stdout)
    assert [(r["name"], r["expired"]) for r in listed] == [("busy", True)]
    assert busy.is_dir()
    # `ws list` works in a repository without workspace.toml.
    import os

    os.chdir(hub.parent / "npmlib")
    result = cli("ws", "list")
    assert result.exit_code == 0 and "no ephemeral workspaces" in result.output
