"""`git orch run` with the inputs cache, end to end: a re-run skips what is unchanged, runs
what a racy edit or another clone's state made due, and records what the slow path records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import write_plan

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "paths": {"preferred": ["b/"]}, "commands": {"t": "true"}},
    {"id": "c", "dependencies": ["a"], "paths": {"preferred": ["c/"]}, "commands": {"t": "true"}},
]
OFF = {"GITORCH_INPUTS_CACHE": "0"}


def _repo(path: Path) -> Path:
    root = make_repo(path, {"a/one.txt": "one\n", "b/x.txt": "x\n", "c/z.txt": "z\n"})
    write_plan(root, TASKS)
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    return root


def _run(orch: OrchRunner, root: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = orch("run", "--json", *args, cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def _status(orch: OrchRunner, root: Path) -> list[tuple[str, str, str]]:
    proc = orch("status", "--json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["run"]["status"] == "completed"
    return [(t["id"], t["state"], t["reason"]) for t in doc["tasks"]]


def test_rerun_skips_and_records_what_the_slow_path_records(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    assert _run(orch, root)["counts"] == {"completed": 3}
    assert _run(orch, root, env=OFF)["counts"] == {"skipped": 3}  # the slow path
    slow = _status(orch, root)
    assert _run(orch, root)["counts"] == {"skipped": 3}  # stores the cache
    cache = next((root / ".git/orch/inputs-cache").iterdir())
    stored = cache.stat().st_ino
    doc = _run(orch, root)  # uses it
    assert doc["counts"] == {"skipped": 3} and doc["noted"] is True  # HEAD is what it verified
    assert cache.stat().st_ino == stored
    assert doc["run"] in git(root, "notes", "--ref=orch", "show", "HEAD")
    assert _status(orch, root) == slow  # status says the same after either


def test_racy_edit_after_a_cached_rerun_runs_the_task(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    _run(orch, root)
    assert _run(orch, root)["counts"] == {"skipped": 3}
    f = root / "a/one.txt"
    st = f.stat()
    f.write_text("ONE\n")  # same size, same mtime
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    doc = _run(orch, root)
    assert doc["counts"] == {"completed": 2, "skipped": 1}  # a, and c which depends on it
    assert _run(orch, root)["counts"] == {"skipped": 3}


def test_state_advanced_by_another_clone_is_followed(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "a")
    _run(orch, root)
    assert _run(orch, root)["counts"] == {"skipped": 3}  # the cache is stored here
    other = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(root), str(other))
    git(other, "fetch", "-q", "origin", "orch/state:orch/state")
    (other / "b/x.txt").write_text("the other clone's x\n")
    assert _run(orch, other, "--task", "b")["counts"] == {"completed": 1}  # b passes on other inputs
    git(root, "fetch", "-q", str(other), "orch/state:orch/state")
    # here nothing changed, but b's last pass (the other clone's) was on other inputs
    assert _run(orch, root)["counts"] == {"completed": 1, "skipped": 2}
    assert _run(orch, root)["counts"] == {"skipped": 3}


def test_rerun_from_a_subfolder_uses_the_same_cache(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    _run(orch, root)
    assert _run(orch, root)["counts"] == {"skipped": 3}
    cache = next((root / ".git/orch/inputs-cache").iterdir())
    stored = cache.stat().st_ino
    assert _run(orch, root / "b")["counts"] == {"skipped": 3}  # git status from b/ says the same
    assert cache.stat().st_ino == stored
    (root / "c/new.txt").write_text("new\n")  # untracked, under c's paths
    assert _run(orch, root / "b")["counts"] == {"completed": 1, "skipped": 2}


def test_a_rerun_that_skips_everything_imports_only_what_it_needs(tmp_path: Path, orch: OrchRunner) -> None:
    import subprocess
    import sys

    root = _repo(tmp_path / "r")
    _run(orch, root)
    assert _run(orch, root)["counts"] == {"skipped": 3}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", "run", "-j2"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    assert "gitorch.engine.driver" in found  # the run did run
    unneeded = {"gitorch.agent.setup", "gitorch.store.cacheentries", "gitorch.hooks.watchindex", "socket",
                "typer", "pygit2", "platformdirs", "tempfile", "random", "shutil",
                "json"}  # digests and watch.json are not encoded when every task is skipped
    assert not found & unneeded, found & unneeded


def _imported(root: Path) -> set[str]:
    """The modules a real `git orch run -j2` process in `root` imports (it must succeed)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", "run", "-j2"], cwd=root,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


def test_a_rerun_that_skips_everything_loads_no_command_runner(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    _run(orch, root)
    runs_commands = {"gitorch.engine.runner", "gitorch.engine.process", "gitorch.engine.checks",
                     "gitorch.engine.outputlog", "gitorch.secrets.redact", "gitorch.engine.failures",
                     "getpass", "termios"}
    found = _imported(root)
    assert "gitorch.engine.skipall" in found and "gitorch.engine.finish" in found  # it did run
    assert not found & runs_commands, found & runs_commands
    assert [t[:2] for t in _status(orch, root)] == [("a", "skipped"), ("b", "skipped"), ("c", "skipped")]
    # a change: the same process runs b's command (the loop loads what it needs then)
    (root / "b/x.txt").write_text("changed\n")
    found = _imported(root)
    assert {"gitorch.engine.runner", "gitorch.engine.process"} <= found
    assert [t[:2] for t in _status(orch, root)] == [("a", "skipped"), ("b", "completed"), ("c", "skipped")]
