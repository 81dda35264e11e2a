"""What a run that is killed or interrupted at an awkward moment keeps (issue 15 P1: the
loop starts the next commands before it finishes recording the last ones). The promise
(engine/record.py): a killed run loses at most the tasks in flight; an interrupted one
records every task that ended. Each test runs the real CLI in a subprocess whose
sitecustomize strikes at the exact point; both store backends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitorch import events as ev
from tests.conftest import fsck, git
from tests.e2e.helpers import events
from tests.engine.helpers import orch_with_site, plan_repo

# Patches `module`.`cls`.`meth` once the module is imported: `body` runs after the original
# call, with `self`, the arguments and the result `r` at hand.
_SITE = """
import os, signal, sys, time, importlib.abc, importlib.util
class F(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != {module!r}: return None
        sys.meta_path.remove(self); spec = importlib.util.find_spec(name); orig = spec.loader.exec_module
        def exec_module(mod):
            orig(mod); cls = getattr(mod, {cls!r}); o = getattr(cls, {meth!r})
            def patched(self, *a, **kw):
{before}
                r = o(self, *a, **kw)
{body}
                return r
            setattr(cls, {meth!r}, patched)
        spec.loader.exec_module = exec_module; return spec
sys.meta_path.insert(0, F())
"""


def _site(tmp_path: Path, module: str, cls: str, meth: str, body: str, before: str = "pass") -> Path:
    site = tmp_path / "site"
    site.mkdir()
    indent = " " * 16
    (site / "sitecustomize.py").write_text(_SITE.format(module=module, cls=cls, meth=meth,
                                                        before=indent + before, body=indent + body))
    return site


def _signal_at(tmp_path: Path, where: str, sig: str) -> Path:
    """A site folder whose sitecustomize sends `sig` to the run itself as `where`
    ("module:function") is called."""
    module, func = where.split(":")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        f"import os, signal\nimport {module} as _m\n_real = _m.{func}\n"
        f"def {func}(*a):\n    os.kill(os.getpid(), signal.{sig})\n    return _real(*a)\n"
        f"_m.{func} = {func}\n")
    return site


def _assert_recorded_interrupted(repo: Path, stopped: subprocess.CompletedProcess[str]) -> None:
    """The run exited 130 without a traceback and is recorded interrupted."""
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "Traceback" not in stopped.stderr
    shown = orch_with_site(repo, "status", "--json")
    assert json.loads(shown.stdout)["run"]["status"] == "interrupted", shown.stdout


def _events(repo: Path) -> list[str]:
    """`type task` of each event of the repository's runs, in order."""
    out = orch_with_site(repo, "events")
    assert out.returncode == 0, out.stderr
    return [f"{f[1]} {f[2].rsplit('/', 1)[-1]}" for f in (line.split() for line in out.stdout.splitlines())
            if len(f) >= 3]


def test_a_kill_once_the_next_command_started_keeps_the_ended_tasks(tmp_path: Path, backend: str) -> None:
    """SIGKILL right after b's command started: a ended before, so its events are journaled
    and resume does not run it again."""
    ran = tmp_path / "a_ran"
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": f"echo A >> {ran}"}},
                                   {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    site = _site(tmp_path, "gitorch.engine.process", "Children", "spawn",
                 "if kw.get('key') == 'b': os.kill(os.getpid(), signal.SIGKILL)")
    killed = orch_with_site(repo, "run", "-j1", site=site)
    assert killed.returncode == -9, killed.stderr
    journal = b"".join(p.read_bytes() for p in (repo / ".git" / "orch" / "journal").glob("*.jsonl"))
    assert b'"task_completed"' in journal and b'"command_run"' in journal, journal
    resumed = orch_with_site(repo, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert ran.read_text() == "A\n"  # a's command ran once: resume ran b only


def test_an_interrupt_while_an_end_is_recorded_keeps_its_events(tmp_path: Path, backend: str) -> None:
    """Ctrl-C right after a's watch entry was made (its end being recorded while b runs): a's
    events are in the log, as its watch entry says it passed."""
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": "true"}},
                                   {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}},
                                   {"id": "c", "commands": {"t": "sleep 0.3"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    site = _site(tmp_path, "gitorch.engine.watch", "WatchRecord", "passed",
                 "if a and a[0] == 'a': raise KeyboardInterrupt")
    stopped = orch_with_site(repo, "run", "-j2", site=site)
    assert stopped.returncode == 130, stopped.stderr
    assert "Traceback" not in stopped.stderr
    events = _events(repo)
    assert "command_run a" in events and "task_completed a" in events, events
    again = orch_with_site(repo, "explain", "a")
    assert "never passed" not in again.stdout, again.stdout


def test_an_interrupt_in_a_start_keeps_the_other_ends_of_the_same_wait(tmp_path: Path,
                                                                        backend: str) -> None:
    """a and c end in one wait; Ctrl-C while a's successor d starts: c's end (exit 0) is
    still handed to c and recorded, so c completed and resume does not run it again."""
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": "true"}},
                                   {"id": "c", "commands": {"t": "true"}},
                                   {"id": "d", "dependencies": ["a"], "commands": {"t": "true"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    site = _site(tmp_path, "gitorch.engine.process", "Children", "spawn",
                 "if kw.get('key') == 'd': os.kill(os.getpid(), signal.SIGINT)")
    # both quick children end before the wait looks (as on a loaded machine)
    wait = (site / "sitecustomize.py").read_text() + (
        "\nimport gitorch.engine.process as _p\n_w = _p.Children.wait\n"
        "def _wait(self, timeout):\n    time.sleep(0.3); return _w(self, timeout)\n"
        "_p.Children.wait = _wait\n")
    (site / "sitecustomize.py").write_text(wait)
    stopped = orch_with_site(repo, "run", "-j2", site=site)
    assert stopped.returncode == 130, stopped.stderr
    events = _events(repo)
    assert "command_run c" in events and "task_completed c" in events, events


def test_a_kill_as_a_tasks_next_command_starts_keeps_the_tasks_ended_in_the_same_wait(
        tmp_path: Path, backend: str) -> None:
    """a ends in the same wait as b's first command (the wait is slowed so both land in it);
    SIGKILL as b's second command starts: a's end was journaled before that start."""
    ran = tmp_path / "a_ran"
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": f"echo A >> {ran}"}},
                                   {"id": "b", "commands": {"t1": "true", "t2": "sleep 5"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    site = _site(tmp_path, "gitorch.engine.process", "Children", "spawn", "pass",
                 before="n = sys.__dict__.setdefault('_b_spawns', [0])\n"
                        "                if kw.get('key') == 'b':\n"
                        "                    n[0] += 1\n"
                        "                    if n[0] == 2: os.kill(os.getpid(), signal.SIGKILL)")
    slowed = ("\nimport gitorch.engine.process as _p\n_w = _p.Children.wait\n"
              "def _wait(self, timeout):\n    time.sleep(0.3)\n    return _w(self, timeout)\n"
              "_p.Children.wait = _wait\n")
    (site / "sitecustomize.py").write_text((site / "sitecustomize.py").read_text() + slowed)
    killed = orch_with_site(repo, "run", "-j2", site=site)
    assert killed.returncode == -9, killed.stderr
    resumed = orch_with_site(repo, "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert ran.read_text() == "A\n"  # a's command ran once: resume ran b only


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["gitorch.engine.skipall:skip_all", "gitorch.engine.finish:failures_of",
                                   "gitorch.engine.finish:build_due"])
def test_a_signal_between_the_loop_and_the_end_records_the_run_interrupted(
        tmp_path: Path, backend: str, where: str, sig: str) -> None:
    """Ctrl-C or SIGTERM while a re-run with nothing changed skips its tasks (no loop, so not
    the loop's own stop), or as the end begins: the run is recorded interrupted (exit 130),
    not left "running" (SIGTERM's default action killed it there); the next run completes."""
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": "true"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    assert orch_with_site(repo, "run").returncode == 0
    stopped = orch_with_site(repo, "run", site=_signal_at(tmp_path, where, sig))
    _assert_recorded_interrupted(repo, stopped)
    again = orch_with_site(repo, "run")
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("where", ["gitorch.collector:resume", "gitorch.engine.runcontext:context_for"])
def test_a_signal_as_the_loop_begins_records_the_run_interrupted(
        tmp_path: Path, backend: str, where: str, sig: str) -> None:
    """Ctrl-C or SIGTERM between the skip check and the loop's own stop (the loop's set-up):
    the run is recorded interrupted (exit 130). A SIGTERM there met no handler of ours (the
    sections swapped theirs in and out): its default action killed the run, left "running"."""
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": "true"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    stopped = orch_with_site(repo, "run", site=_signal_at(tmp_path, where, sig))
    _assert_recorded_interrupted(repo, stopped)
    again = orch_with_site(repo, "resume")
    assert again.returncode == 0, again.stdout + again.stderr
    shown = orch_with_site(repo, "status", "--json")
    assert [t["state"] for t in json.loads(shown.stdout)["tasks"]] == ["completed"], shown.stdout


def test_an_interrupt_as_the_build_command_starts_records_it_stopped(tmp_path: Path, backend: str) -> None:
    """Ctrl-C just before the release build's command is started (no child to stop): the run
    is interrupted, the build's command recorded as not run; it was an internal error."""
    tasks: list[dict[str, Any]] = [{"id": "a", "type": "code_change", "commands": {"t": "true"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    plan = json.loads((repo / "orchestrator.json").read_text())
    plan["project"] = {"build": {"release": "true"}}
    (repo / "orchestrator.json").write_text(json.dumps(plan))
    git(repo, "commit", "-qam", "a release build")
    site = _site(tmp_path, "gitorch.engine.process", "Children", "spawn", "pass",
                 before="if kw.get('key') == 'build': raise KeyboardInterrupt")
    stopped = orch_with_site(repo, "run", site=site)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "internal error" not in stopped.stderr and "release build interrupted" in stopped.stdout
    shown = orch_with_site(repo, "status", "--json")
    assert json.loads(shown.stdout)["run"]["status"] == "interrupted", shown.stdout
    [build] = [e for e in events(repo) if isinstance(e, ev.CommandRun) and e.name == "release"]
    assert build.task is None and build.status is None


def test_an_interrupt_between_a_request_to_git_and_its_answer_records_the_run_interrupted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C raised while the CLI backend waits for `cat-file --batch`'s answer (the loop's
    periodic flush reads the state branch): the answer was left in the pipe and the stop's
    publish read it as its own ("object … is not a blob"), so the run was recorded failed,
    exit 1. An exchange cut short now ends that git; the next read starts another."""
    monkeypatch.setenv("GITORCH_BACKEND", "cli")
    tasks: list[dict[str, Any]] = [
        {"id": "a", "commands": {"t": "sleep 1"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": "sleep 1"}},
        {"id": "c", "dependencies": ["b"], "commands": {"t": "sleep 1"}},
    ]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    strike = ("from gitorch.engine.signals import SESSION\n"
              + " " * 16 + "if SESSION.raising and not os.environ.get('STRUCK'):\n"
              + " " * 20 + "os.environ['STRUCK'] = '1'; os.kill(os.getpid(), signal.SIGINT)")
    site = _site(tmp_path, "gitorch.store.cli_backend", "CliBackend", "_answer", "pass", before=strike)
    stopped = orch_with_site(repo, "run", site=site)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "is not a" not in stopped.stderr and "Traceback" not in stopped.stderr
    shown = orch_with_site(repo, "status", "--json")
    assert json.loads(shown.stdout)["run"]["status"] == "interrupted", shown.stdout
    assert fsck(repo, "--no-dangling") == ""
    again = orch_with_site(repo, "resume")
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.parametrize("where", ["task", "build"])
def test_an_interrupt_as_a_commands_end_is_reaped_keeps_that_end(
        tmp_path: Path, backend: str, where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C just after a command's end is reaped, before it is handed on: that end is kept
    (the task completes, the build passes), the rest is stopped. It was lost: the task was
    recorded interrupted, the build "interrupted before start"."""
    tasks: list[dict[str, Any]] = [{"id": "a", "type": "code_change", "commands": {"t": "true"}}]
    if where == "task":
        tasks.append({"id": "b", "commands": {"t": "sleep 30"}})
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    if where == "build":
        plan = json.loads((repo / "orchestrator.json").read_text())
        plan["project"] = {"build": {"release": "true"}}
        (repo / "orchestrator.json").write_text(json.dumps(plan))
        git(repo, "commit", "-qam", "a release build")
    strike = ("if (os.environ.get('STRIKE_AT') == 'build') == (r[0].key == 'build') "
              "and not os.environ.get('STRUCK'):\n"
              + " " * 20 + "os.environ['STRUCK'] = '1'; os.kill(os.getpid(), signal.SIGINT)")
    site = _site(tmp_path, "gitorch.engine.process", "Children", "_reap", strike)
    monkeypatch.setenv("STRIKE_AT", where)
    stopped = orch_with_site(repo, "run", "-j2", site=site)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    assert "Traceback" not in stopped.stderr
    shown = json.loads(orch_with_site(repo, "status", "--json").stdout)
    assert shown["run"]["status"] == "interrupted"
    states = {t["id"]: t["state"] for t in shown["tasks"]}
    if where == "task":
        assert states == {"a": "completed", "b": "interrupted"}
    else:
        assert states == {"a": "completed"}
        [build] = [e for e in events(repo) if isinstance(e, ev.CommandRun) and e.name == "release"]
        assert build.status == 0, build  # its end, not "interrupted before start"


def test_an_interrupt_after_a_command_ended_before_it_is_reaped_keeps_that_end(
        tmp_path: Path, backend: str) -> None:
    """Ctrl-C while the loop records (a's `true` has exited, not reaped yet): a's end is its
    own (it completes), b is stopped. The stop reaped a with the others and recorded it
    interrupted."""
    tasks: list[dict[str, Any]] = [{"id": "a", "commands": {"t": "true"}},
                                   {"id": "b", "commands": {"t": "sleep 30"}}]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    strike = ("if len(self.active) == 2 and not os.environ.get('STRUCK'):\n"
              + " " * 20 + "os.environ['STRUCK'] = '1'; time.sleep(0.3); os.kill(os.getpid(), signal.SIGINT)")
    site = _site(tmp_path, "gitorch.engine.driver", "RunDriver", "_settle", strike)
    stopped = orch_with_site(repo, "run", "-j2", site=site)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    shown = json.loads(orch_with_site(repo, "status", "--json").stdout)
    assert {t["id"]: t["state"] for t in shown["tasks"]} == {"a": "completed", "b": "interrupted"}


def test_an_interrupt_just_after_a_commit_doubles_no_event(tmp_path: Path, backend: str) -> None:
    """Ctrl-C right after the loop's periodic flush moved the state branch, before the store
    marked its journal flushed: the stop's own flush does not commit those events again."""
    module, cls = {"cli": ("gitorch.store.cli_backend", "CliBackend"),
                   "pygit2": ("gitorch.store.pygit2_backend", "Pygit2Backend")}[backend]
    tasks: list[dict[str, Any]] = [
        {"id": "a", "commands": {"t": "sleep 1"}},
        {"id": "b", "dependencies": ["a"], "commands": {"t": "sleep 1"}},
    ]
    repo = plan_repo(tmp_path / "repo", {"README.md": "x\n"}, tasks)
    strike = ("from gitorch.engine.signals import SESSION\n"
              + " " * 16 + "if r and SESSION.raising and a[0].endswith('orch/state') "
              "and not os.environ.get('STRUCK'):\n"
              + " " * 20 + "os.environ['STRUCK'] = '1'; os.kill(os.getpid(), signal.SIGINT)")
    site = _site(tmp_path, module, cls, "update_ref", strike)
    stopped = orch_with_site(repo, "run", site=site)
    assert stopped.returncode == 130, stopped.stdout + stopped.stderr
    ids = [e.id for e in events(repo)]
    assert ids and len(ids) == len(set(ids))
    shown = json.loads(orch_with_site(repo, "status", "--json").stdout)
    assert shown["run"]["status"] == "interrupted"
    assert orch_with_site(repo, "resume").returncode == 0
