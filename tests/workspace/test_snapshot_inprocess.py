"""What the console entry point starts early for `ws snapshot` (workspace/prestart: the
listing of the repos under --root and their `git status`) belongs to that one command: a
later command in the same process (the entry point again, typer's CliRunner) reads the
workspace afresh, and a command that did not take it leaves no git process behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from gitorch.workspace.gitstate import RUNNING
from tests.conftest import Entry, make_repo


def _workspace(root: Path) -> Path:
    """A folder without a manifest holding two repos."""
    for name in ("alpha", "beta"):
        make_repo(root / name, {"f.txt": "one\n"})
    return root


def _children() -> set[int]:
    """The processes this process started that are still there (running or unreaped)."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(pid))
    return found


def _counting_git(folder: Path) -> Path:
    """A folder holding a `git` that counts the git status processes started (a line each in
    folder/count) and runs the real git."""
    real = shutil.which("git")
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *" status "*) echo x >> {folder}/count;; esac\n'
                       f'exec {real} "$@"\n')
    wrapper.chmod(0o755)
    return folder


def test_a_refused_snapshot_leaves_its_listing_to_no_later_snapshot(tmp_path: Path, entry: Entry) -> None:
    ws = _workspace(tmp_path / "ws")
    before = _children()  # a process an earlier test left is none of this one's
    bad = entry("ws", "snapshot", "--root", str(ws), "--no-such-option")
    assert bad.returncode == 2, (bad.stdout, bad.stderr)
    assert _children() - before == set(), "the refused snapshot's git status processes were left behind"
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


def test_a_refused_snapshot_starts_no_more_git_status(tmp_path: Path, entry: Entry) -> None:
    """More repos than start at once: the refusal ends the ones running and starts no other."""
    ws = tmp_path / "ws"
    for i in range(RUNNING + 4):
        subprocess.run(["git", "init", "-q", str(ws / f"r{i}")], check=True)
    bin_dir = _counting_git(tmp_path / "bin")
    before = _children()
    bad = entry("ws", "snapshot", "--root", str(ws), "--no-such-option",
                env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert bad.returncode == 2, (bad.stdout, bad.stderr)
    assert _children() - before == set(), "git status processes were left behind"
    count = (bin_dir / "count").read_text().count("x") if (bin_dir / "count").exists() else 0
    assert count <= RUNNING, f"{count} git status started for a refused snapshot, {RUNNING} at most ran"
