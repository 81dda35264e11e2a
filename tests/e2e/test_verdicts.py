"""Issue 14's verdicts through the CLI on real repositories: what was verified, failures that
fail, resume and progress that agree with what happened, text from the branch escaped.

A resume beside a live run and a SIGTERM run real `git orch` processes; the rest goes
through the same console entry point in this process (the `entry` fixture)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from gitorch import events as ev
from tests.conftest import Entry, OrchRunner, git
from tests.e2e.helpers import events, of_type, states, status, write_plan


def _commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def test_a_dirty_run_verifies_its_tree_and_notes_no_commit(
    repo: Path, entry: Entry, tmp_path: Path,
) -> None:
    # the repro: HEAD's check.sh fails; the work tree's passes
    (repo / "check.sh").write_text("exit 1\n")
    write_plan(repo, [{"id": "T", "commands": {"check": "sh check.sh"}}])
    _commit_all(repo, "failing check")
    head = git(repo, "rev-parse", "HEAD")
    (repo / "check.sh").write_text("exit 0\n")
    proc = entry("run", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "uncommitted changes in 1 file" in proc.stdout and "no note on" in proc.stdout
    assert git(repo, "notes", "--ref=orch", "list") == ""  # nothing on the failing commit
    started = of_type(events(repo), ev.RunStarted)[-1]
    assert started.dirty == 1 and started.tree
    # git remembers exactly what was verified: HEAD's tree plus the edit
    assert git(repo, "show", f"{started.tree}:check.sh") == "exit 0"
    assert git(repo, "rev-parse", "HEAD^{tree}") != started.tree
    run = status(entry, repo)["run"]
    assert run["dirty"] == 1 and run["tree"] == started.tree
    report = entry("report", "--junit", str(tmp_path / "j.xml"), cwd=repo).stdout
    assert f"uncommitted changes in 1 file (tree `{started.tree}`)" in report
    props = {p.get("name"): p.get("value") for p in ET.parse(tmp_path / "j.xml").iter("property")}
    assert props["dirty"] == "true" and props["tree"] == started.tree
    assert "uncommitted changes in 1 file" in git(repo, "show", "orch/state:TASKS.md")
    # committing that same content: the commit's tree is the verified tree, the task is
    # recognised as verified (skipped), and a clean run notes its result on the commit
    _commit_all(repo, "fix the check")
    assert git(repo, "rev-parse", "HEAD^{tree}") == started.tree
    again = entry("run", "--json", cwd=repo)
    doc = json.loads(again.stdout)
    assert doc["counts"] == {"skipped": 1} and doc["dirty"] == 0 and doc["noted"] is True
    assert git(repo, "notes", "--ref=orch", "list", "HEAD") != "" and head != git(repo, "rev-parse", "HEAD")


def test_refuse_dirty_lists_the_files_and_exits_1(repo: Path, entry: Entry) -> None:
    write_plan(repo, [{"id": "T", "paths": {"preferred": ["new.txt"]}, "commands": {"t": "true"}}])
    _commit_all(repo, "plan")
    assert entry("config", "set", "refuse_dirty", "true", cwd=repo).returncode == 0
    (repo / "README.md").write_text("changed\n")
    (repo / "new.txt").write_text("named by the task\n")  # untracked, named by its paths
    (repo / "scratch.txt").write_text("untracked, named by no task\n")
    proc = entry("run", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "uncommitted changes in 2 files" in proc.stderr
    assert "README.md" in proc.stderr and "new.txt" in proc.stderr and "scratch.txt" not in proc.stderr
    assert of_type(events(repo), ev.RunStarted) == []  # refused before anything was recorded


def test_release_build_waits_for_the_gate(repo: Path, entry: Entry) -> None:
    write_plan(repo, [
        {"id": "code", "type": "code_change", "commands": {"t": "true"}},
        {"id": "ship", "type": "deploy", "dependencies": ["code"], "commands": {"t": "true"}},
    ], orchestrator={"approvals": {"required": ["deploy"]}},
        project={"build": {"release": "touch built"}})
    _commit_all(repo, "plan")
    paused = entry("run", cwd=repo)
    assert paused.returncode == 3 and not (repo / "built").exists()  # paused at the gate: no build
    dry = json.loads(entry("run", "--dry-run", "--json", cwd=repo).stdout)
    assert dry["build"] is None  # the dry run agrees: the gate still waits
    assert entry("approve", "deploy", cwd=repo).returncode == 0
    done = entry("resume", "--json", cwd=repo)
    assert done.returncode == 0 and json.loads(done.stdout)["build"] == "completed"
    assert (repo / "built").exists()


def test_a_failing_command_shows_its_last_lines_and_where_the_log_is(repo: Path, entry: Entry) -> None:
    script = "for i in $(seq 1 30); do echo line-$i; done; echo token=hunter2-secret; exit 3"
    write_plan(repo, [{"id": "T", "commands": {"t": script}}])
    _commit_all(repo, "plan")
    proc = entry("run", cwd=repo)
    assert proc.returncode == 1
    out = proc.stdout
    assert "line-30" in out and "line-12" in out and "line-11" not in out  # the last 20 lines
    assert "git show orch/state:logs/" in out
    log = out.split("git show ")[1].split()[0]
    assert "line-1\n" in git(repo, "show", log) + "\n"  # the whole output is there
    explained = entry("explain", "T", cwd=repo).stdout
    assert "latest failure" in explained and "line-30" in explained


def test_resume_while_a_run_is_alive_never_reruns_what_it_completed(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    import subprocess
    import time

    mark, release = tmp_path / "marks", tmp_path / "release"
    write_plan(repo, [
        {"id": "S", "commands": {"t": f"echo S >> {mark}"}},
        {"id": "T", "dependencies": ["S"],
         "commands": {"t": f"echo T >> {mark}; while [ ! -e {release} ]; do sleep 0.05; done"}},
    ])
    _commit_all(repo, "plan")
    first = subprocess.Popen(["git", "orch", "run", "--all"], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while (not mark.exists() or "T" not in mark.read_text()) and time.time() < deadline:
        time.sleep(0.05)
    resume = subprocess.Popen(["git", "orch", "resume"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    release.touch()
    assert first.wait(30) == 0
    out, err = resume.communicate(timeout=30)
    assert resume.returncode == 0, out + err
    assert mark.read_text().split() == ["S", "T"]  # each ran once
    assert states(orch, repo) == {"S": "completed", "T": "completed"}


def test_status_after_sigterm_shows_interrupted(repo: Path, orch: OrchRunner, tmp_path: Path) -> None:
    import signal
    import subprocess
    import time

    mark = tmp_path / "started"
    write_plan(repo, [{"id": "long", "commands": {"t": f"touch {mark}; sleep 30"}}])
    _commit_all(repo, "plan")
    run = subprocess.Popen(["git-orch", "run"], cwd=repo, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)  # git-orch itself gets the signal
    deadline = time.time() + 20
    while not mark.exists() and time.time() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    assert run.wait(20) == 130
    doc = status(orch, repo)
    assert doc["run"]["status"] == "interrupted"
    assert [t["state"] for t in doc["tasks"]] == ["interrupted"]
    assert "interrupted" in orch("status", cwd=repo).stdout


def test_control_characters_from_the_branch_are_escaped(repo: Path, entry: Entry) -> None:
    write_plan(repo, [{"id": "T", "commands": {"t": "printf 'bad\\033[2Jend\\n'; exit 1"}}])
    _commit_all(repo, "plan")
    proc = entry("run", cwd=repo)
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "bad\\x1b[2Jend" in proc.stdout
    shown = entry("status", cwd=repo).stdout + entry("explain", "T", cwd=repo).stdout
    assert "\x1b" not in shown


def test_explain_does_not_call_a_task_output_added(repo: Path, entry: Entry) -> None:
    write_plan(repo, [{"id": "gen", "paths": {"preferred": ["src/a.txt", "out/"]},
                       "commands": {"t": "mkdir -p out && cp src/a.txt out/a.txt"}}])
    (repo / "src").mkdir()
    (repo / "src/a.txt").write_text("one\n")
    _commit_all(repo, "plan")
    assert entry("run", cwd=repo).returncode == 0  # produced out/a.txt (untracked)
    (repo / "src/a.txt").write_text("two\n")
    reasons = json.loads(entry("explain", "gen", "--json", cwd=repo).stdout)["reasons"]
    assert any("src/a.txt changed" in r for r in reasons), reasons
    assert not any("out/a.txt added" in r for r in reasons), reasons


def test_resume_does_not_announce_earlier_sessions_tasks(
    repo: Path, entry: Entry, tmp_path: Path,
) -> None:
    flag = tmp_path / "fixed"
    write_plan(repo, [
        {"id": "A", "commands": {"t": "true"}},
        {"id": "B", "dependencies": ["A"], "commands": {"t": f"test -e {flag}"}},
    ])
    _commit_all(repo, "plan")
    assert entry("run", cwd=repo).returncode == 1
    flag.touch()
    resumed = entry("resume", cwd=repo)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "completed A" not in resumed.stdout  # A finished in the first session
    assert "[2/2] completed B" in resumed.stdout


def test_no_note_when_the_run_itself_edits_tracked_files(repo: Path, entry: Entry) -> None:
    write_plan(repo, [{"id": "gen", "commands": {"t": "echo generated >> README.md"}}])
    _commit_all(repo, "plan")
    doc = json.loads(entry("run", "--json", cwd=repo).stdout)
    assert doc["status"] == "completed" and doc["dirty"] == 0
    assert doc["noted"] is False  # what passed is HEAD plus the task's edit, which no commit holds
    assert git(repo, "notes", "--ref=orch", "list") == ""
