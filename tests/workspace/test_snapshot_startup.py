"""How `ws snapshot` starts (benchmark P5): its git processes get one clean environment made
once (git's per-repository variables dropped, gitorch's hooks off), and the entry point
runs it with the cyclic collector off, then leaves the collector as the caller had it."""

from __future__ import annotations

import gc
import json
import subprocess
from pathlib import Path

import pytest

from gitorch.workspace.gitstate import read_one, start_all


def _repo(path: Path, dirty: bool) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "a"], check=True)
    if dirty:
        (path / "a.txt").write_text("b\n")
    return path


def test_start_all_reads_each_repo_even_with_git_variables_set(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repos = [(f"r{i}", _repo(tmp_path / f"r{i}", dirty=i == 1)) for i in range(3)]
    other = _repo(tmp_path / "other", dirty=True)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # as inside a hook: must not leak
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    states = start_all(repos)()
    assert [s.repo for s in states] == ["r0", "r1", "r2"]
    assert [s.dirty for s in states] == [False, True, False] and states[1].changed == ["a.txt"]
    assert all(s.branch == "main" and s.sha for s in states)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert states == [read_one(name, path) for name, path in repos]  # the one-repo path agrees


@pytest.mark.parametrize("enabled", [True, False])
def test_snapshot_leaves_the_collector_as_it_found_it(enabled: bool, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from gitorch.cli.entry import main

    _repo(tmp_path / "r", dirty=False)
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(SystemExit) as done:
            main(["ws", "snapshot", "--root", str(tmp_path), "--json"])
        assert done.value.code == 0
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert [r["name"] for r in json.loads(capsys.readouterr().out)["repos"]] == ["r"]
