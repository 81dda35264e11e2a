"""A run's flush takes the events it journaled as they are (issue 15, P1): a journal file
holding exactly the bytes the recorder appended is not decoded again. Each case checks it
against the decoding it replaces, on both store backends."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gitorch import events as ev
from gitorch.engine import record
from gitorch.engine.record import EventRecorder
from gitorch.journalfile import journal_path
from gitorch.store.journal import Journal, Known, Pending
from tests.engine.helpers import fresh_context, write_plan

Reads = list[tuple[bool, Pending]]


def _spy(monkeypatch: pytest.MonkeyPatch) -> Reads:
    """Every pending file a flush reads: whether the recorder's events were taken for it, and
    what was read. Each read is checked against decoding the file."""
    reads: Reads = []
    read = Journal._read

    def checked(path: Path, known: Known | None = None) -> Pending:
        decoded = read(path)
        got = read(path, known)
        assert (got.events, got.problems) == (decoded.events, decoded.problems)
        assert [ev.type_of(e) for e in got.events] == [ev.type_of(e) for e in decoded.events]
        reads.append((known is not None and path.read_bytes() == known.data, got))
        return got

    monkeypatch.setattr(Journal, "_read", staticmethod(checked))
    return reads


def _elsewhere(rec: EventRecorder, code: str, *args: str, cwd: Path) -> None:
    """Run `code` in another process while the recorder holds the journal's lock after an
    append, as a run's loop does: that process waits until the hold runs out and the loop
    (`maybe_flush`) gives the lock back, then goes on."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=cwd)
    time.sleep(record.JOURNAL_HOLD + 0.2)
    assert proc.poll() is None  # held: it waits (no flush rotates a file mid-append)
    assert rec.maybe_flush() is False  # the hold ran out: the lock goes back, nothing commits
    assert proc.wait(timeout=60) == 0


def _commit(repo: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "plan"], cwd=repo, check=True)


def test_a_run_commits_what_decoding_its_journal_would(
    repo: Path, entry: Any, backend: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks: list[dict[str, Any]] = [{"id": "root", "commands": {"t": "true"}}]
    tasks += [{"id": f"t{i}", "dependencies": ["root"], "commands": {"t": "sh -c true"}} for i in range(6)]
    tasks += [
        {"id": "talks", "commands": {"t": "echo 'said: é' && echo oops >&2"}},
        {"id": "fails", "dependencies": ["root"], "commands": {"t": "sh -c 'echo no; exit 3'"}},
        {"id": "after", "dependencies": ["fails"], "commands": {"t": "true"}},
        {"id": "retried", "retry": {"attempts": 2, "backoff": 0.01}, "commands": {"t": "false"}},
    ]
    write_plan(repo, tasks)
    _commit(repo)
    reads = _spy(monkeypatch)
    assert entry("run", "-j2", "--keep-going", cwd=repo).returncode == 1
    assert entry("run", "-j2", cwd=repo).returncode == 1  # skips the passed ones, fails again
    taken = [p for hit, p in reads if hit]
    assert len(taken) >= 2 and not any(p.problems for p in taken)  # each run's last flush at least
    store = fresh_context(repo).store
    events = store.events()
    kinds = {ev.type_of(e) for e in events}
    assert {"task_started", "command_run", "task_completed", "task_failed", "task_blocked",
            "skipped", "completed"} <= kinds
    assert sum(isinstance(e, ev.CommandRun) and e.task == "retried" for e in events) == 4
    assert len({e.id for e in events}) == len(events)  # nothing committed twice
    journal = repo / ".git" / "orch" / "journal"
    assert not journal.exists() or not any(journal.iterdir())


def test_a_journal_another_writer_appended_to_is_decoded(
    repo: Path, backend: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hook's recorder appends to the same session file: the file is then more than the
    recorder wrote, and is decoded, so the other writer's event is committed too."""
    reads = _spy(monkeypatch)
    store = fresh_context(repo).store
    rec = EventRecorder(store, dict)
    mine = [ev.TaskWaiting(run="r1", task="a", reason=str(n)) for n in range(3)]
    rec.add(mine[:2])
    rec.boundary()
    other = ev.TaskWaiting(run="r1", task="a", reason="from the hook")
    path = journal_path(str(store.repo.common_dir), store.session)
    # another process (the hook's): it appends once the recorder gives the journal's lock back
    _elsewhere(rec, "import fcntl, sys; from gitorch.journalfile import append_locked\n"
               "append_locked(sys.argv[1], sys.argv[2].encode(), sync=False,\n"
               "    lock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_EX),\n"
               "    unlock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_UN))",
               path, ev.encode_lines([other]).decode(), cwd=repo)
    rec.add(mine[2:])
    assert rec.flush() is not None
    assert [hit for hit, _ in reads] == [False]
    ids = {e.id for e in fresh_context(repo).store.events()}
    assert {e.id for e in [*mine, other]} <= ids
    # the next flush starts afresh: what it wrote alone is taken as it is
    rec.add([ev.TaskWaiting(run="r1", task="a", reason="later")])
    rec.flush()
    assert [hit for hit, _ in reads] == [False, True]


def test_a_file_rotated_by_another_flush_is_decoded(
    repo: Path, backend: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another process's flush (e.g. `git orch approve`) commits part of what the recorder
    journaled: the recorder's next flush finds only the rest in the file, decodes it, and
    nothing is committed twice."""
    reads = _spy(monkeypatch)
    store = fresh_context(repo).store
    rec = EventRecorder(store, dict)
    first = [ev.TaskWaiting(run="r1", task="a", reason="first")]
    rec.add(first)
    rec.boundary()
    # someone else's flush (another process): it rotates once the recorder gives the lock back
    _elsewhere(rec, "from gitorch.context import build_context\n"
               "assert build_context(cwd='.').store.flush() is not None", cwd=repo)
    second = [ev.TaskWaiting(run="r1", task="a", reason="second")]
    rec.add(second)
    rec.flush()
    assert [hit for hit, _ in reads] == [False]  # the rest of the file: decoded (the other read is not ours)
    events = [e for e in fresh_context(repo).store.events() if isinstance(e, ev.TaskWaiting)]
    assert [e.reason for e in events] == ["first", "second"]
    assert len(store.events()) == len({e.id for e in store.events()})
