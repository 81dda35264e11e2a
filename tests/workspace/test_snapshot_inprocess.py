"""What the console entry point starts early for `ws snapshot` (workspace/prestart: the
listing of the repos under --root and their `git status`) belongs to that one command: a
later command in the same process (the entry point again, typer's CliRunner) reads the
workspace afresh, and a command that did not take it leaves no git process behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import Entry, make_repo


def _workspace(root: Path) -> Path:
    """A folder without a manifest holding two repos."""
    for name in ("alpha", "beta"):
        make_repo(root / name, {"f.txt": "one\n"})
    return root


def _git_children() -> list[int]:
    """The git processes this process started that are still there (running or unreaped)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and comm.startswith("git"):
            found.append(int(pid))
    return found


def test_a_refused_snapshot_leaves_its_listing_to_no_later_snapshot(tmp_path: Path, entry: Entry) -> None:
    ws = _workspace(tmp_path / "ws")
    bad = entry("ws", "snapshot", "--root", str(ws), "--no-such-option")
    assert bad.returncode == 2, (bad.stdout, bad.stderr)
    assert _git_children() == [], "the refused snapshot's git status processes were left behind"
    (ws / "alpha" / "new.txt").write_text("new\n")
    make_repo(ws / "gamma")
    # no --root: the snapshot of the parent folder of the repository it runs in
    later = entry("ws", "snapshot", "--json", cwd=ws / "alpha")
    assert later.returncode == 0, later.stderr
    snap = json.loads(later.stdout)
    assert [r["name"] for r in snap["repos"]] == ["alpha", "beta", "gamma"], "the listing from before gamma"
    dirty = {g["repo"]: g["dirty"] for g in snap["git"]}
    assert dirty == {"alpha": True, "beta": False, "gamma": False}, "the git status from before the change"


def test_a_refused_snapshot_leaves_nothing_to_the_cli_runner(tmp_path: Path, entry: Entry,
                                                                      inproc: Entry) -> None:
    ws = _workspace(tmp_path / "ws")
    assert entry("ws", "snapshot", "--root", str(ws), "--no-such-option").returncode == 2
    (ws / "beta" / "new.txt").write_text("new\n")
    later = inproc("ws", "snapshot", "--root", str(ws), "--json")
    assert later.returncode == 0, later.stderr
    dirty = {g["repo"]: g["dirty"] for g in json.loads(later.stdout)["git"]}
    assert dirty == {"alpha": False, "beta": True}, "the git status from before the change"
