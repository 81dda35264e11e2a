"""Snapshots: git state from one status call, topology, diagnostics, auto-discovery, diff."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from gitorch.workspace import snapshot as S
from gitorch.workspace.diff import diff
from gitorch.workspace.gitstate import parse_status
from gitorch.workspace.manifest import load, resolve_repo

from .fixtures import REPOS, git


def test_snapshot_of_the_fixture(hub: Path) -> None:
    snap = S.take(hub)
    assert [r.name for r in snap.repos] == ["hub", *REPOS]
    assert snap.repo("hub").path == str(hub)  # type: ignore[union-attr]
    assert snap.repo("pylib").languages == ["python"]  # type: ignore[union-attr]
    assert snap.repo("npmapp").capabilities == ["javascript", "typescript"]  # type: ignore[union-attr]
    assert all(g.branch == "main" and g.sha and not g.dirty for g in snap.git)
    assert snap.topology.providers["app_uv"] == ["pylib"]
    assert snap.topology.consumers["pylib"] == ["app_pep", "app_uv"]
    order = snap.topology.order
    for consumer, provider in [("rapp", "rcrate"), ("goapp", "golib"), ("exapp", "exlib")]:
        assert order.index(provider) < order.index(consumer)
    assert snap.diagnostics == []
    assert snap.id.startswith("snap-") and snap.schema_version == 2
    assert diff(snap, S.take(hub)).empty


def test_git_state_branch_upstream_dirty_detached_merge(hub: Path, tmp_path: Path) -> None:
    root = hub.parent
    lib = root / "pylib"
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(lib, "remote", "add", "origin", str(remote))
    git(lib, "push", "-q", "-u", "origin", "main")
    (lib / "a.txt").write_text("a\n")
    git(lib, "add", "a.txt")
    git(lib, "commit", "-qm", "ahead")
    (lib / "untracked.txt").write_text("u\n")
    git(root / "golib", "checkout", "-q", "--detach")
    app = root / "npmapp"
    git(app, "checkout", "-q", "-b", "other")
    (app / "x.txt").write_text("other\n")
    git(app, "add", "x.txt")
    git(app, "commit", "-qm", "other")
    git(app, "checkout", "-q", "main")
    (app / "x.txt").write_text("main\n")
    git(app, "add", "x.txt")
    git(app, "commit", "-qm", "main")
    subprocess.run(["git", "merge", "-q", "other"], cwd=app, capture_output=True)
    snap = S.take(hub)
    lib_state = snap.git_of("pylib")
    assert lib_state is not None
    assert (lib_state.upstream, lib_state.ahead, lib_state.behind) == ("origin/main", 1, 0)
    assert lib_state.dirty and lib_state.changed == ["untracked.txt"]
    go_state = snap.git_of("golib")
    assert go_state is not None and go_state.branch is None and go_state.sha
    app_state = snap.git_of("npmapp")
    assert app_state is not None and app_state.in_progress == "merge" and app_state.conflicts == ["x.txt"]
    kinds = {(d.repo, d.kind) for d in snap.diagnostics}
    assert kinds == {("golib", "detached_head"), ("npmapp", "conflict")}


def test_parse_status_handles_renames_and_spaces() -> None:
    out = (b"# branch.oid abc\0# branch.head main\0"
           b"2 R. N... 100644 100644 100644 1 2 R100 new name.txt\0old name.txt\0"
           b"1 .M N... 100644 100644 100644 1 2 b c.txt\0? d e.txt\0")
    state = parse_status("r", out)
    assert state.changed == ["b c.txt", "d e.txt", "new name.txt"]
    assert state.branch == "main" and state.sha == "abc"


def test_auto_discovery_without_manifest(hub: Path, cli: Any) -> None:
    (hub.parent / "not-a-repo").mkdir()
    result: Any = cli("ws", "snapshot", "--root", str(hub.parent), "--json")
    assert result.exit_code == 0, result.output
    snap = json.loads(result.stdout)
    assert snap["manifest"] is None
    assert sorted(r["name"] for r in snap["repos"]) == sorted(["hub", *REPOS])
    assert snap["topology"]["providers"]["rapp"] == ["rcrate"]
    (hub.parent / "link-to-pylib").symlink_to(hub.parent / "pylib")  # the same checkout again
    git(hub.parent, "init", "-q", str(hub.parent / "my repo"))
    result = cli("ws", "snapshot", "--root", str(hub.parent), "--json")
    repos = {r["name"]: r["path"] for r in json.loads(result.stdout)["repos"]}
    assert "link-to-pylib" not in repos and repos["my-repo"] == str(hub.parent / "my repo")
    relative: Any = cli("ws", "snapshot", "--root", "..", "--json")  # cwd is hub
    assert json.loads(relative.stdout)["root"] == str(hub.parent)  # not .../hub/..


def test_missing_repo_and_cycle_diagnostics(hub: Path) -> None:
    lib = hub.parent / "pylib"
    (lib / "pyproject.toml").write_text('[project]\nname = "PyLib"\ndependencies = ["app-uv"]\n')
    import shutil

    shutil.rmtree(hub.parent / "golib")
    snap = S.take(hub)
    kinds = {(d.repo, d.kind, d.severity) for d in snap.diagnostics}
    assert ("golib", "missing_repo", "error") in kinds
    assert ("app_uv", "cycle", "error") in kinds
    assert snap.topology.cycles == [["app_uv", "pylib", "app_uv"]] and snap.topology.cyclic


def test_resolve_repo(hub: Path) -> None:
    import pytest

    from gitorch.errors import WorkspaceError

    assert resolve_repo(hub, "rapp") == hub.parent / "rapp"
    assert resolve_repo(hub, "hub") == hub
    with pytest.raises(WorkspaceError) as err:
        resolve_repo(hub, "nope")
    assert err.value.exit_code == 2 and "unknown workspace repo 'nope'" in str(err.value)
    assert load(hub).repo("pylib").path == "../pylib"
