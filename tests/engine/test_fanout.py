"""What a wide fan-out leans on (issue 15, P1): the journal kept open between rounds, output
files kept open between commands, remembered argv, and commits spaced by their cost; each
gives the same record as the plain way."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import msgspec

from gitorch import events as ev
from gitorch.engine import record
from gitorch.engine.process import SHELL, Children, CommandOutcome, direct_argv, exec_argv
from gitorch.engine.run import RunOptions, Silent, execute
from gitorch.journalfile import Appender, append_locked, journal_path
from gitorch.repo import find_repo
from gitorch.store.journal import Journal
from gitorch.store.state import StateStore
from tests.engine.helpers import fresh_context, write_plan


def _git_repo(root: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


def test_appender_follows_a_rotation_and_shares_the_file_with_other_writers(tmp_path: Path) -> None:
    common = str(tmp_path)
    path = journal_path(common, "s1")
    journal = Journal(tmp_path / "orch")
    out = Appender(path)
    out.append(b"one\n")
    # another writer (the hook's recorder) appends to the same file under the same lock
    import fcntl

    append_locked(path, b"hook\n", lock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_EX),
                  unlock=lambda fh: fcntl.flock(fh.fileno(), fcntl.LOCK_UN), sync=False)
    out.append(b"two\n")
    journal.rotate()  # a flush moves the file aside while the appender holds it open
    out.append(b"three\n", sync=True)
    pending = sorted(Path(common, "orch", "journal").glob("*.pending"))
    assert [p.read_bytes() for p in pending] == [b"one\nhook\ntwo\n"]
    assert Path(path).read_bytes() == b"three\n"  # a new file, not the rotated one
    for p in pending:
        p.unlink()
    Path(path).write_bytes(b"")
    journal.rotate()  # an empty file is removed, not rotated
    out.append(b"four\n")
    assert Path(path).read_bytes() == b"four\n"
    out.close()
    out.close()  # twice is harmless


def test_one_output_file_serves_commands_in_turn(tmp_path: Path) -> None:
    children = Children()
    log = tmp_path / "out.log"
    log.write_text("left from an earlier process\n")

    def run(cmd: str) -> CommandOutcome:
        started = children.spawn(cmd, cwd=tmp_path, env=dict(os.environ), log_path=log, timeout=None, key=1)
        assert not isinstance(started, CommandOutcome)
        done: list[tuple[object, CommandOutcome]] = []
        while not done:
            done = children.wait(None)
        return done[0][1]

    try:
        first = run("echo first")
        assert first.size == 6 and log.read_text() == "first\n"  # opened empty
        os.truncate(log, 0)  # as the runner does once it kept the output
        assert run("true").size == 0
        second = run("printf ab; printf cd >&2")
        assert second.size == 4 and log.read_text() == "abcd"  # from the start, no hole
    finally:
        children.close()
    assert children._logs == {}


def test_remembered_argv_is_what_direct_exec_or_the_shell_would_run() -> None:
    path = os.environ["PATH"]
    for cmd in ("sh -c true", "true", "echo $HOME", "git --version", "no-such-command-xyz"):
        want = direct_argv(cmd, path) or [SHELL, "-c", cmd]
        assert exec_argv(cmd, path) == want
        assert exec_argv(cmd, path) == want  # the second time from memory


def test_commits_are_spaced_by_what_the_last_one_cost(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo")
    store = StateStore(find_repo(root))
    rec = record.EventRecorder(store, dict)
    assert rec.seconds_to_flush() <= record.FLUSH_EVERY
    real = store.flush

    def slow_flush(files: object, **kw: object) -> str | None:  # a loaded machine: the commit takes 0.1 s
        time.sleep(0.1)
        return real(files, **kw)  # type: ignore[arg-type]

    store.flush = slow_flush  # type: ignore[method-assign]
    rec.add([ev.TaskStarted(run="r", task="a")])
    rec.boundary()
    assert rec.flush() is not None
    assert rec.seconds_to_flush() > record.FLUSH_EVERY  # at least 20 x 0.1 s from now
    assert not rec.maybe_flush()  # new events do not shorten the wait
    rec.add([ev.TaskCompleted(run="r", task="a")])
    rec.boundary()
    assert not rec.maybe_flush()
    store.flush = real  # type: ignore[method-assign]
    rec.flush()
    got = [(type(e).__name__, e.task) for e in store.events(run="r")]
    assert got == [("TaskStarted", "a"), ("TaskCompleted", "a")]


def test_a_fan_out_records_every_task_once_and_logs_only_output(tmp_path: Path) -> None:
    root = _git_repo(tmp_path / "repo")
    tasks = [{"id": "root", "commands": {"t": "sh -c true"}}]
    tasks += [{"id": f"t{i:02d}", "dependencies": ["root"], "commands": {"t": "sh -c true"}}
              for i in range(40)]
    tasks[7]["commands"] = {"t": "echo said-something"}
    write_plan(root, tasks)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "plan"], cwd=root, check=True)
    result = execute(fresh_context(root), RunOptions(jobs=2), Silent())
    assert (result.status, result.counts) == ("completed", {"completed": 41})
    ctx = fresh_context(root)
    events = ctx.store.events(run=result.run)
    for kind in (ev.TaskStarted, ev.CommandRun, ev.TaskCompleted):
        assert sorted(e.task or "" for e in events if isinstance(e, kind)) == sorted(t["id"] for t in tasks)
    logged = {e.task: e.log for e in events if isinstance(e, ev.CommandRun)}
    assert [t for t, log in logged.items() if log] == [tasks[7]["id"]]
    log = logged[tasks[7]["id"]]
    assert log is not None and ctx.store.read(log) == b"said-something\n"
    journal = root / ".git" / "orch" / "journal"
    assert not journal.exists() or not any(journal.iterdir())  # all of it on the branch
    assert not (root / ".git" / "orch" / "out" / result.run).exists()  # no output left behind


def test_a_round_encoded_in_one_call_is_the_same_bytes_as_event_by_event() -> None:
    batch: list[ev.Event] = [
        ev.TaskStarted(run="r", task="a", inputs="d" * 64),
        ev.CommandRun(run="r", task="a", name="t", cmd="echo é \"q\" \\ \n", status=0, duration=0.5,
                      attempt=1, excerpt="\x00\x1f ünï", log=None),
        ev.TaskCompleted(run="r", task="a", duration=1.25, inputs=None),
        ev.Completed(run="r", status="completed", failures=[]),
    ]
    for part in ([], batch[:1], batch):
        assert ev.encode_lines(part) == b"".join(ev.encode(e) + b"\n" for e in part)
    assert ev.decode_lines(ev.encode_lines(batch)) == batch


def _plain_run(tmp_path: Path, cmd: str, fast: bool) -> list[ev.Event]:
    """One command of a task run through the no-retry path (`_once` alone) or command()."""
    from gitorch.engine.finish import drive
    from gitorch.engine.runner import RunContext, TaskRun
    from gitorch.plan.model import Retry, Task
    from gitorch.secrets.redact import Redactor

    ctx = RunContext(run="r", root=tmp_path, repo_root=tmp_path, scratch=tmp_path / "scratch",
                     excerpt_bytes=2000, redactor=Redactor(), base_env=dict(os.environ),
                     env_for=lambda task: {"GITORCH_TASK": task.id})
    tr = TaskRun(ctx, Task(id="a", commands={"t": cmd}), None)

    def steps():  # type: ignore[no-untyped-def]
        if fast:
            return (yield from tr._once("t", cmd, shard=None, timeout=None, attempt=1))
        return (yield from tr.command("t", cmd, shard=None, timeout=None, retry=Retry()))

    drive(steps(), ctx)
    return [msgspec.structs.replace(e, id="", ts="", duration=0.0) for e in tr.events]


def test_a_command_without_retries_records_what_the_retry_loop_records(tmp_path: Path) -> None:
    for cmd in ("sh -c true", "echo out; exit 3", "no-such-command-xyz"):
        assert _plain_run(tmp_path, cmd, fast=True) == _plain_run(tmp_path, cmd, fast=False)


def test_run_j2_takes_the_lean_start_as_run_j_2_does() -> None:
    from gitorch.cli import lean

    found = lean.find(["run", "-j2"])
    assert found is not None and found == lean.find(["run", "-j", "2"])
    assert lean.find(["run", "-kj2"]) is None and lean.find(["run", "-j=2"]) is None


def test_the_last_flush_loses_nothing_by_skipping_what_every_flush_adds(tmp_path: Path) -> None:
    """publish() leaves out the files every flush adds (watch.json, passes.json, the index
    dropped) only when the final files hold watch.json: then they hold every one of those."""
    from types import SimpleNamespace

    from gitorch.engine.history import History
    from gitorch.engine.inputs import TaskInputs
    from gitorch.engine.watch import WatchRecord
    from gitorch.store import layout

    cur = TaskInputs("a", "d" * 64, {}, [], {"(tree)": "t" * 64}, {}, tree="t" * 64)
    gate = [{"run": "r", "task": "a", "gate": "review"}]
    cases = ((None, [], True), ([], [], True), ([], gate, False), (gate, gate, False))
    for before, awaiting, passes in cases:
        history = History(events=[], watch_tasks={}, watch_awaiting=before)
        watch = WatchRecord(history, SimpleNamespace(repo_root=tmp_path))  # type: ignore[arg-type]
        watch._due = 0.0  # passes alone may go with any flush (not only every WATCH_EVERY seconds)
        if passes:
            watch.passed("a", cur, "r", "")
        final = watch.final_files(awaiting)
        every = watch.flush_files(awaiting)
        if layout.WATCH in final:
            assert set(every) <= set(final) and final[layout.WATCH] == every[layout.WATCH]
        else:
            assert before == awaiting and not passes  # nothing changed: both kept, as before
