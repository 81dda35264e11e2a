"""The program lookup a plain command is exec'd through (process.which) gives shutil.which's
answer, and a round without a timed child still stops a timed one started beside it."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from gitorch.engine.process import Children, CommandOutcome, which


def _exe(path: Path, mode: int = 0o755) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(mode)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX lookup")
def test_which_answers_as_shutil_which(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    _exe(a / "tool", 0o644)  # not executable: skipped
    _exe(b / "tool")
    (a / "dir-tool").mkdir()  # a directory of that name: skipped
    _exe(c / "dir-tool")
    _exe(tmp_path / "here-tool")
    monkeypatch.chdir(tmp_path)  # an empty PATH entry is the current directory
    paths = [os.pathsep.join(map(str, p)) for p in ([a, b], [b, a], [a, a, c], [a], [c, b])]
    paths += ["", os.pathsep + str(b), str(b) + os.pathsep, os.environ.get("PATH", "")]
    names = ["tool", "dir-tool", "here-tool", "missing-xyz", "sh", "git"]
    for path in paths:
        for name in names:
            assert which(name, path) == shutil.which(name, path=path), (name, path)


def test_an_untimed_child_beside_a_timed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # spawn changes this process's directory: restored after
    children = Children()
    env = dict(os.environ)
    slow = children.spawn("sleep 30", cwd=tmp_path, env=env, log_path=tmp_path / "a.log",
                          timeout=0.3, key="timed")
    quick = children.spawn("sleep 0.5", cwd=tmp_path, env=env, log_path=tmp_path / "b.log",
                           timeout=None, key="untimed")
    assert not isinstance(slow, CommandOutcome) and not isinstance(quick, CommandOutcome)
    assert children.next_deadline() is not None
    ended: dict[object, CommandOutcome] = {}
    t0 = time.monotonic()
    while children.live:
        ended.update((c.key, o) for c, o in children.wait(None))
    assert ended["timed"].timed_out and ended["timed"].status is None
    assert ended["untimed"].status == 0 and not ended["untimed"].timed_out
    assert time.monotonic() - t0 < 5
    assert children.next_deadline() is None  # none timed is left: a round reads no clock
    again = children.spawn("true", cwd=tmp_path, env=env, log_path=tmp_path / "c.log", timeout=None,
                           key="x")
    assert not isinstance(again, CommandOutcome)
    assert children.next_deadline() is None
    while children.live:
        children.wait(None)
    children.close()


def test_a_runs_output_folder_is_removed_with_what_is_in_it(tmp_path: Path) -> None:
    from gitorch.engine.finish import remove_output

    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(3):
        (flat / f"1-{i}.log").write_text("x")
    remove_output(flat)
    assert not flat.exists()
    nested = tmp_path / "nested"  # not what a run leaves, still removed whole
    (nested / "sub").mkdir(parents=True)
    (nested / "sub" / "f").write_text("x")
    (nested / "a.log").write_text("x")
    remove_output(nested)
    assert not nested.exists()
    remove_output(tmp_path / "never-made")  # a run that started no command made none


def test_a_run_of_commands_imports_no_shutil(tmp_path: Path) -> None:
    """Neither the program lookup nor the end of the run loads shutil (with bz2 and lzma)."""
    import subprocess

    from tests.conftest import git, make_repo
    from tests.engine.helpers import write_plan

    root = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    write_plan(root, [{"id": "a", "commands": {"t": "sh -c true"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}])
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", "run", "-j2"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
              if line.startswith("import time:")}
    assert "gitorch.engine.process" in loaded
    assert not loaded & {"shutil", "bz2", "lzma"}
    out = root / ".git" / "orch" / "out"
    assert not out.exists() or not any(out.iterdir())  # the run's output folder went
