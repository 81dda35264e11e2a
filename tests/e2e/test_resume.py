"""Gates, resume, skip-unchanged, explain, dry runs, bad input, concurrency, interrupts.

What happens between processes (a second process approving, two runs at once, Ctrl-C, an
approval while a run goes on) runs real `git orch` processes; the rest goes through the same
console entry point in this process (the `entry` fixture)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gitorch import events as ev
from tests.conftest import Entry, OrchRunner, alive, git
from tests.e2e.helpers import events, marks, of_type, states, status, write_plan


def _gated_plan(repo: Path, mark: Path) -> None:
    (repo / "app.txt").write_text("v1\n")
    write_plan(repo, [
        {"id": "build", "commands": {"t": f"echo build >> {mark}"}},
        {"id": "ship", "type": "deploy", "dependencies": ["build"], "paths": {"preferred": ["app.txt"]},
         "commands": {"t": f"echo ship >> {mark}"}},
        {"id": "docs", "approvals": ["review"], "commands": {"t": f"echo docs >> {mark}"}},
    ], orchestrator={"approvals": {"required": ["deploy", "review"]}})


def test_gate_approved_from_a_second_process_then_resume(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    mark = tmp_path / "marks"
    _gated_plan(repo, mark)
    proc = orch("run", "-j2", cwd=repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "git orch approve deploy" in proc.stdout
    assert states(orch, repo) == {"build": "completed", "ship": "awaiting_approval",
                                  "docs": "awaiting_approval"}
    assert sorted(marks(mark)) == ["build"]
    watch = json.loads(git(repo, "show", "orch/state:watch.json"))
    assert {a["gate"] for a in watch["awaiting"]} == {"deploy", "review"}
    bad = orch("approve", "tag", cwd=repo)
    assert bad.returncode == 2 and "nothing waits for gate 'tag'" in bad.stderr
    assert orch("approve", "deploy", "--task", "docs", cwd=repo).returncode == 2
    ok = orch("approve", "deploy", "--by", "alice", "--json", cwd=repo)
    assert ok.returncode == 0, ok.stderr
    given = json.loads(ok.stdout)["approved"]
    assert given[0]["task"] == "ship" and given[0]["by"] == "alice"
    assert given[0]["commit"] == git(repo, "rev-parse", "HEAD")
    proc = orch("resume", cwd=repo)
    assert proc.returncode == 3  # docs still waits for review
    assert states(orch, repo)["ship"] == "completed"
    assert orch("approve", "review", cwd=repo).returncode == 0
    assert orch("resume", cwd=repo).returncode == 0
    assert sorted(marks(mark)) == ["build", "docs", "ship"]  # nothing ran twice


def test_an_approval_no_longer_applies_once_the_task_inputs_change(
    repo: Path, entry: Entry, tmp_path: Path,
) -> None:
    mark = tmp_path / "marks"
    _gated_plan(repo, mark)
    assert entry("run", "--task", "ship", cwd=repo).returncode == 3
    assert entry("approve", "deploy", cwd=repo).returncode == 0
    (repo / "app.txt").write_text("v2\n")  # what was approved is not what would ship
    proc = entry("resume", cwd=repo)
    assert proc.returncode == 3
    assert states(entry, repo)["ship"] == "awaiting_approval"
    assert "ship" not in marks(mark)
    # The user is told why the approval they gave does not open the gate.
    assert "no longer applies: the task's inputs changed since" in proc.stdout
    explained = json.loads(entry("explain", "ship", "--json", cwd=repo).stdout)
    assert any("no longer applies" in r for r in explained["reasons"])


def test_skip_unchanged_and_explain_after_editing_one_input(
    repo: Path, entry: Entry, tmp_path: Path,
) -> None:
    mark = tmp_path / "marks"
    (repo / "src").mkdir()
    (repo / "src/a.py").write_text("a = 1\n")
    (repo / "src/b.py").write_text("b = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "src")
    head = git(repo, "rev-parse", "--short=7", "HEAD")
    write_plan(repo, [
        {"id": "A", "paths": {"preferred": ["src/a.py"]}, "commands": {"t": f"echo A >> {mark}"}},
        {"id": "B", "paths": {"preferred": ["src/b.py"]}, "commands": {"t": f"echo B >> {mark}"}},
        {"id": "C", "dependencies": ["A"], "paths": {"preferred": ["src/b.py"]},
         "commands": {"t": f"echo C >> {mark}"}},
    ])
    first = entry("explain", "A", "--json", cwd=repo)
    assert json.loads(first.stdout)["reasons"] == ["never passed"]
    assert entry("run", cwd=repo).returncode == 0
    assert entry("run", cwd=repo).returncode == 0
    assert sorted(marks(mark)) == ["A", "B", "C"]
    assert set(states(entry, repo).values()) == {"skipped"}
    assert "unchanged since the last pass" in of_type(events(repo), ev.Skipped, "A")[-1].reason
    (repo / "src/a.py").write_text("a = 2\n")
    doc = json.loads(entry("explain", "A", "--json", cwd=repo).stdout)
    assert doc["action"] == "run"
    assert doc["reasons"] == [f"src/a.py changed since the last pass at {head}"]
    assert json.loads(entry("explain", "C", "--json", cwd=repo).stdout)["reasons"] == ["dependency A changed"]
    assert "would skip" in entry("explain", "B", cwd=repo).stdout
    assert entry("run", cwd=repo).returncode == 0
    assert sorted(marks(mark)) == ["A", "A", "B", "C", "C"]
    assert entry("run", "--force", "--task", "B", cwd=repo).returncode == 0
    assert marks(mark).count("B") == 2
    # a changed command is named too
    write_plan(repo, [{"id": "B", "paths": {"preferred": ["src/b.py"]}, "commands": {"t": "true"}}])
    assert json.loads(entry("explain", "B", "--json", cwd=repo).stdout)["reasons"] == ["command changed"]


def test_dry_run_executes_and_records_nothing(repo: Path, entry: Entry) -> None:
    write_plan(repo, [
        {"id": "a", "commands": {"make": "touch created-a"}},
        {"id": "b", "dependencies": ["a"], "commands": {"one": "touch created-b", "two": "echo two"},
         "shards": [{"id": "b1", "commands": {"s": "touch created-s"}}],
         "acceptance": ["Tests pass: test -f created-b"]},
    ], project={"build": {"release": "touch built"}})
    proc = entry("run", "--dry-run", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    cmds = [c["cmd"] for t in doc["tasks"] for c in t["commands"]]
    assert cmds == ["touch created-a", "touch created-b", "echo two", "touch created-s", "test -f created-b"]
    assert [t["action"] for t in doc["tasks"]] == ["run", "run"]
    human = entry("run", "--dry-run", cwd=repo).stdout
    assert "$ touch created-a" in human and "$ [b1] touch created-s" in human
    assert not list(repo.glob("created-*"))
    assert git(repo, "branch", "--list", "orch/state") == ""
    journal = repo / ".git" / "orch" / "journal"
    assert not journal.exists() or not any(journal.iterdir())


def test_bad_input_gets_one_message_and_exit_2(repo: Path, entry: Entry) -> None:
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}}])
    proc = entry("run", "--task", "nope", cwd=repo)
    assert proc.returncode == 2 and "unknown task nope" in proc.stderr and "Traceback" not in proc.stderr
    assert entry("resume", cwd=repo).returncode == 2
    assert entry("approve", "deploy", cwd=repo).returncode == 2
    assert entry("explain", "nope", cwd=repo).returncode == 2
    assert entry("context", "nope", cwd=repo).returncode == 2
    err = entry("run", "--task", "nope", "--json", cwd=repo)
    assert json.loads(err.stdout)["exit_code"] == 2


def test_plan_changed_between_run_and_resume_is_named_and_replanned(
    repo: Path, entry: Entry, tmp_path: Path,
) -> None:
    mark = tmp_path / "marks"
    write_plan(repo, [
        {"id": "a", "commands": {"t": f"echo a >> {mark}"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": "false"}},
    ])
    assert entry("run", cwd=repo).returncode == 1
    write_plan(repo, [
        {"id": "a", "commands": {"t": f"echo a >> {mark}"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": f"echo b >> {mark}"}},
        {"id": "c", "dependencies": ["b"], "commands": {"t": f"echo c >> {mark}"}},
    ])
    proc = entry("resume", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "task c added" in proc.stdout and "task b changed (commands)" in proc.stdout
    assert marks(mark) == ["a", "b", "c"]
    updated = of_type(events(repo), ev.PlanUpdated)
    assert updated and "task c added" in updated[-1].changes


def test_context_and_next(repo: Path, entry: Entry) -> None:
    (repo / "src").mkdir()
    (repo / "src/error.rs").write_text("pub enum AppError {}\n")
    (repo / "src/main.rs").write_text("use crate::AppError;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "src")
    write_plan(repo, [
        {"id": "EXC-001", "title": "errors", "description": "central errors",
         "paths": {"preferred": ["src/error.rs", "src/new.rs"]}, "commands": {"test": "true"},
         "acceptance": ["Contains: enum AppError"], "constraints": {"forbidden": ["vendor/"]}},
        {"id": "EXC-002", "dependencies": ["EXC-001"], "commands": {"t": "true"}},
    ])
    ctx = json.loads(entry("context", "EXC-001", "--json", cwd=repo).stdout)
    assert ctx["paths"] == [{"path": "src/error.rs", "exists": True}, {"path": "src/new.rs", "exists": False}]
    assert ctx["identifiers"] == ["AppError"]
    assert {f["path"] for f in ctx["relevant_files"]} == {"src/error.rs", "src/main.rs"}
    assert ctx["forbidden"] == ["vendor/"]
    nxt = json.loads(entry("next", "--json", cwd=repo).stdout)
    assert [t["task"] for t in nxt["ready"]] == ["EXC-001"]
    assert entry("run", "--task", "EXC-001", cwd=repo).returncode == 0
    nxt = json.loads(entry("next", "--json", cwd=repo).stdout)
    assert [t["task"] for t in nxt["ready"]] == ["EXC-002"]


def test_two_runs_at_once_second_waits_or_gives_up(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    mark, release = tmp_path / "marks", tmp_path / "release"
    # the task holds the first run (and its lock) until the test releases it
    hold = f"i=0; while [ ! -e {release} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"
    write_plan(repo, [{"id": "slow", "commands": {"t": f"echo slow >> {mark}; {hold}"}}])
    first = subprocess.Popen(["git", "orch", "run"], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while not mark.exists() and time.time() < deadline:
        time.sleep(0.05)
    busy = orch("run", cwd=repo, env={"GITORCH_LOCK_TIMEOUT": "0.2"})
    assert busy.returncode == 4, busy.stdout + busy.stderr
    env = {**os.environ, "GITORCH_LOCK_TIMEOUT": "60"}
    second = subprocess.Popen(["git", "orch", "run"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env)
    time.sleep(0.5)
    release.touch()
    assert first.wait(60) == 0
    assert second.wait(60) == 0
    assert marks(mark) == ["slow"]  # the second run found it done and skipped it


def _ctrl_c_run(repo: Path, pidfile: Path, presses: int = 1, gap: float = 0.1) -> tuple[int, str, bool]:
    """`git-orch run` in its own session, Ctrl-C'd (`presses` times, `gap` s apart) once its
    command wrote a child's pid to `pidfile`: the exit code, the output, and whether that
    child outlived the run (killed here then)."""
    # git-orch itself: `git` in front would die of the SIGINT too and hide the exit code
    proc = subprocess.Popen(["git-orch", "run"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 20
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.time() < deadline:
        time.sleep(0.05)
    for n in range(presses):
        if n:
            time.sleep(gap)
        try:
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the foreground group
        except ProcessLookupError:  # the run and the git it started have ended
            break
    out, err = proc.communicate(timeout=20)
    pid = int(pidfile.read_text())
    time.sleep(0.2)
    outlived = alive(pid)
    if outlived:
        os.kill(pid, signal.SIGKILL)
    return proc.returncode, out.decode() + err.decode(), outlived


def test_ctrl_c_stops_children_records_interrupted_and_resumes(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    pidfile, flag = tmp_path / "pid", tmp_path / "second-time"
    write_plan(repo, [{"id": "long", "commands": {
        "t": f"if [ -e {flag} ]; then exit 0; fi; touch {flag}; sleep 30 & echo $! > {pidfile}; wait"}}])
    code, out, alive = _ctrl_c_run(repo, pidfile)
    assert code == 130, out
    assert not alive
    assert status(orch, repo)["run"]["status"] == "interrupted"
    assert orch("resume", cwd=repo).returncode == 0
    assert states(orch, repo) == {"long": "completed"}


def test_ctrl_c_during_the_release_build_stops_it_records_interrupted_and_resumes(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    """The build runs after the loop, in its own session as every command: a terminal's Ctrl-C
    does not reach it, so the run stops it; the run was left "running" with the build going on."""
    pidfile, flag = tmp_path / "pid", tmp_path / "second-time"
    build = f"test -e {flag} || {{ sleep 30 & echo $! > {pidfile}; wait; }}"
    write_plan(repo, [{"id": "a", "type": "code_change", "commands": {"t": "true"}}],
               project={"build": {"release": build}})
    code, out, alive = _ctrl_c_run(repo, pidfile)
    assert code == 130, out
    assert not alive
    assert status(orch, repo)["run"]["status"] == "interrupted"
    assert "release build interrupted" in out
    # the stopped build command is recorded as a stopped task's command is
    [stopped] = [e for e in of_type(events(repo), ev.CommandRun) if e.name == "release"]
    assert stopped.task is None and stopped.status is None and stopped.cmd == build
    flag.touch()
    resumed = orch("resume", cwd=repo)
    assert resumed.returncode == 0 and "release build completed" in resumed.stdout, resumed.stdout


@pytest.mark.parametrize("where", ["task", "build"])
def test_a_second_ctrl_c_does_not_cut_the_stop_short(
    repo: Path, orch: OrchRunner, tmp_path: Path, where: str,
) -> None:
    """A command that ignores SIGTERM is killed after the grace even when Ctrl-C is pressed
    again meanwhile (the second one used to escape the stop: the run stayed "running" and
    the command ran on)."""
    pidfile = tmp_path / "pid"
    cmd = f"trap '' TERM; sleep 30 & echo $! > {pidfile}; wait"
    if where == "task":
        write_plan(repo, [{"id": "a", "commands": {"t": cmd}}])
    else:
        write_plan(repo, [{"id": "a", "type": "code_change", "commands": {"t": "true"}}],
                   project={"build": {"release": cmd}})
    code, out, alive = _ctrl_c_run(repo, pidfile, presses=2)
    assert code == 130, out
    assert not alive
    assert status(orch, repo)["run"]["status"] == "interrupted"


def test_ctrl_c_pressed_again_and_again_still_records_interrupted(
    repo: Path, orch: OrchRunner, tmp_path: Path, backend: str,
) -> None:
    """Ctrl-C every 3 ms while the run stops and records it. The state store's git processes
    (`cat-file --batch`, `update-ref --stdin`) were in the terminal's foreground group: each
    Ctrl-C killed the one in use, and the run was recorded "failed" with its events left
    unpublished (7 runs in 10 on the CLI backend)."""
    pidfile, flag = tmp_path / "pid", tmp_path / "second-time"
    write_plan(repo, [{"id": "long", "commands": {
        "t": f"if [ -e {flag} ]; then exit 0; fi; touch {flag}; sleep 30 & echo $! > {pidfile}; wait"}}])
    code, out, alive = _ctrl_c_run(repo, pidfile, presses=60, gap=0.003)
    assert code == 130, out
    assert not alive
    assert "Traceback" not in out
    assert status(orch, repo)["run"]["status"] == "interrupted"
    assert git(repo, "rev-parse", "--verify", "-q", "orch/state")  # published, not left in the journal
    assert orch("resume", cwd=repo).returncode == 0
    assert states(orch, repo) == {"long": "completed"}


def test_ctrl_c_reaches_a_reference_transaction_hook_that_hangs(
    repo: Path, orch: OrchRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`git update-ref` runs the user's reference-transaction hook: it stays in gitorch's
    process group, so a terminal's Ctrl-C ends a hook that hangs (the run does not wait for it)."""
    monkeypatch.setenv("GITORCH_BACKEND", "cli")
    marker = tmp_path / "hooked"
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(f'#!/bin/sh\nif [ "$1" = prepared ] && [ ! -e {marker} ]; then echo $$ > {marker}; '
                    f"sleep 30; fi\nexit 0\n")
    hook.chmod(0o755)
    write_plan(repo, [{"id": "a", "commands": {"t": "sleep 3"}}])
    proc = subprocess.Popen(["git-orch", "run"], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 20
    while not (marker.exists() and marker.read_text().strip()) and time.time() < deadline:
        time.sleep(0.02)
    hook_pid = int(marker.read_text())
    pressed = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, out.decode() + err.decode()
    assert time.monotonic() - pressed < 10  # not the hook's 30 s
    assert not alive(hook_pid)
    assert status(orch, repo)["run"]["status"] == "interrupted"


def test_ctrl_c_held_down_with_a_slow_reference_transaction_hook_records_interrupted(
    repo: Path, orch: OrchRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Ctrl-C held down (autorepeat, every 30 ms) kills each `git update-ref` the stop's
    record starts, with its 50 ms hook: it is asked again until one commits (after 1 s of
    that, the run was recorded "failed")."""
    monkeypatch.setenv("GITORCH_BACKEND", "cli")
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text("#!/bin/sh\nsleep 0.05\nexit 0\n")
    hook.chmod(0o755)
    pidfile = tmp_path / "pid"
    write_plan(repo, [{"id": "long", "commands": {"t": f"sleep 30 & echo $! > {pidfile}; wait"}}])
    code, out, alive = _ctrl_c_run(repo, pidfile, presses=60, gap=0.03)
    assert code == 130, out
    assert not alive
    assert status(orch, repo)["run"]["status"] == "interrupted"


def test_an_approval_given_while_the_run_goes_on_opens_the_gate(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    mark, go_on = tmp_path / "marks", tmp_path / "go-on"
    write_plan(repo, [
        {"id": "ship", "type": "deploy", "commands": {"t": f"echo ship >> {mark}"}},
        # keeps the run busy until the test says so (after it approved)
        {"id": "long", "commands": {"t": f"while [ ! -e {go_on} ]; do sleep 0.05; done"}},
    ], orchestrator={"approvals": {"required": ["deploy"]}})
    run = subprocess.Popen(["git", "orch", "run", "-j2"], cwd=repo, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    approved = None
    while time.time() < deadline:
        approved = orch("approve", "deploy", "--by", "ops", cwd=repo)
        if approved.returncode == 0:
            break
        time.sleep(0.2)
    assert approved is not None and approved.returncode == 0, approved.stderr if approved else ""
    # the live run picks it up by itself: no "continue with: git orch resume"
    assert "continue with" not in approved.stdout and "picks the approval up" in approved.stdout
    # the run looks for approvals once a second: ship runs while `long` still holds the run
    deadline = time.time() + 30
    while "ship" not in marks(mark) and time.time() < deadline:
        time.sleep(0.1)
    go_on.touch()
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, out + err
    assert marks(mark) == ["ship"]
    assert states(orch, repo) == {"ship": "completed", "long": "completed"}


def test_an_approval_from_another_clone_after_sync(
    repo: Path, entry: Entry, tmp_path: Path, bare_remote: Path,
) -> None:
    mark = tmp_path / "marks"
    (repo / "app.txt").write_text("v1\n")
    write_plan(repo, [
        {"id": "ship", "type": "deploy", "paths": {"preferred": ["app.txt"]},
         "commands": {"t": f"echo ship >> {mark}"}},
    ], orchestrator={"approvals": {"required": ["deploy"]}})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    git(repo, "remote", "add", "origin", str(bare_remote))
    git(repo, "push", "-q", "origin", "main")
    assert entry("run", cwd=repo).returncode == 3
    assert entry("sync", cwd=repo).returncode == 0
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare_remote), str(other))
    assert entry("sync", cwd=other).returncode == 0
    approved = entry("approve", "deploy", "--by", "remote-reviewer", cwd=other)
    assert approved.returncode == 0, approved.stderr
    assert entry("sync", cwd=other).returncode == 0
    assert entry("sync", cwd=repo).returncode == 0
    proc = entry("resume", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert marks(mark) == ["ship"]
