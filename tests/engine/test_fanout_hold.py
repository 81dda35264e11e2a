"""A run keeps its journal's lock between rounds for at most record.JOURNAL_HOLD (issue 15,
P1: one write per round instead of lock, stat, write, unlock): another process's flush waits
for the hold and then rotates as before, and a run whose commands flush the state branch
from other processes mid-run records every event once, on both store backends."""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from gitorch import events as ev
from gitorch.journalfile import Appender
from gitorch.store.journal import Journal
from tests.conftest import OrchRunner, git
from tests.engine.helpers import fresh_context, write_plan


def _locked_elsewhere(path: str) -> bool:
    """Whether another open file (as another process's rotation opens it) would wait."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_the_lock_is_held_for_the_hold_then_given_back(tmp_path: Path) -> None:
    path = str(tmp_path / "orch" / "journal" / "s.jsonl")
    out = Appender(path, hold=0.3)
    out.append(b"one\n")
    assert _locked_elsewhere(path) and out.held_left() is not None
    out.append(b"two\n")  # within the hold: written without locking again
    assert Path(path).read_bytes() == b"one\ntwo\n"
    time.sleep(0.35)
    assert out.held_left() == 0.0  # its time is up: the holder gives it back (maybe_flush)
    out.release()
    assert out.held_left() is None and not _locked_elsewhere(path)
    Journal(tmp_path / "orch").rotate()  # a flush moves the file aside
    out.append(b"three\n")  # taken again: the rotation is seen, a fresh file written
    assert Path(path).read_bytes() == b"three\n"
    out.close()
    assert not _locked_elsewhere(path)
    plain = Appender(path)  # no hold: given back after every append, as before
    plain.append(b"four\n")
    assert plain.held_left() is None and not _locked_elsewhere(path)
    plain.close()


def _flush_elsewhere() -> str:
    """A task command: another process flushes the state branch (as `git orch approve` in
    another shell would), rotating the run's journal file while the run goes on."""
    code = "from gitorch.context import build_context; build_context(cwd='.').store.flush()"
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def test_flushes_from_other_processes_mid_run_lose_and_repeat_nothing(
    repo: Path, orch: OrchRunner, backend: str,
) -> None:
    tasks: list[dict[str, Any]] = [{"id": "root", "commands": {"t": "true"}}]
    tasks += [{"id": f"f{i}", "dependencies": ["root"], "commands": {"t": _flush_elsewhere()}}
              for i in range(4)]
    tasks += [{"id": f"q{i}", "dependencies": ["root"], "commands": {"t": "sh -c true"}} for i in range(8)]
    write_plan(repo, tasks)
    git(repo, "add", "orchestrator.json")
    git(repo, "commit", "-q", "-m", "plan")
    done = orch("run", "-j2", "--json", cwd=repo, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"
    events = fresh_context(repo).store.events()
    assert len({e.id for e in events}) == len(events)  # nothing committed twice
    for kind in (ev.TaskStarted, ev.CommandRun, ev.TaskCompleted):
        per_task = sorted(e.task or "" for e in events if isinstance(e, kind))
        assert per_task == sorted(t["id"] for t in tasks), kind
    journal = repo / ".git" / "orch" / "journal"
    assert not journal.exists() or not any(journal.iterdir())  # every file folded in
    status = json.loads(orch("status", "--json", cwd=repo).stdout)
    assert status["run"]["status"] == "completed"
    assert {t["id"]: t["state"] for t in status["tasks"]} == {t["id"]: "completed" for t in tasks}


def test_a_release_build_that_flushes_from_another_process_ends(
    repo: Path, orch: OrchRunner, backend: str,
) -> None:
    """The build runs after the loop's last round, maybe within its hold: the lock is given
    back first, so a build command that flushes the state branch does not wait on the run."""
    tasks: list[dict[str, Any]] = [{"id": "code", "type": "code_change", "commands": {"t": "true"}}]
    write_plan(repo, tasks, project={"build": {"release": _flush_elsewhere()}})
    git(repo, "add", "orchestrator.json")
    git(repo, "commit", "-q", "-m", "plan")
    done = orch("run", "-j2", "--json", cwd=repo, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed" and result["build"]
    events = fresh_context(repo).store.events()
    assert len({e.id for e in events}) == len(events)
    assert [e.task for e in events if isinstance(e, ev.TaskCompleted)] == ["code"]
