"""What the entry point reads early (git's config, the repo config, HEAD: gitorch/earlyconfig,
repo.start_early, engine/prestart) belongs to that one command: a later command in the
same process (the console entry again, or typer's CliRunner) reads git afresh and never
takes an answer from before a change."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Entry, git
from tests.engine.helpers import plan_repo
from tests.engine.test_prestart_lock import slow_status, status_was_waited_for

TASKS = [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}]


def _repo(path: Path) -> Path:
    return plan_repo(path, {"a/one.txt": "one\n"}, TASKS)


def test_git_config_changed_after_a_status_is_seen_by_the_next_command(tmp_path: Path, entry: Entry,
                                                                       inproc: Entry, backend: str) -> None:
    root = _repo(tmp_path / "r")
    assert entry("run", cwd=root).returncode == 0
    first = entry("status", "--json", cwd=root)
    assert first.returncode == 0 and json.loads(first.stdout)["run"] is not None, first.stderr
    git(root, "config", "orch.stateBranch", "orch/other")  # a branch without runs
    later = inproc("status", "--json", cwd=root)
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["run"] is None, "status read git's config from before the change"


def test_the_commit_author_changed_after_a_status_is_the_next_runs(tmp_path: Path, entry: Entry,
                                                                   inproc: Entry, backend: str) -> None:
    root = _repo(tmp_path / "r")
    assert entry("status", "--json", cwd=root).returncode == 0
    git(root, "config", "user.name", "Changed Since")
    assert inproc("run", cwd=root).returncode == 0
    assert git(root, "log", "-1", "--format=%an", "refs/heads/orch/state") == "Changed Since"


def test_a_run_refused_for_its_git_config_leaves_that_answer_to_no_later_run(
        tmp_path: Path, entry: Entry, inproc: Entry, backend: str) -> None:
    root = _repo(tmp_path / "r")
    git(root, "config", "orch.jobs", "many")  # refused when the settings are read
    bad = entry("run", "--json", cwd=root)
    assert bad.returncode == 2 and "jobs" in (bad.stderr + bad.stdout), (bad.stdout, bad.stderr)
    git(root, "config", "--unset", "orch.jobs")
    (root / "a" / "two.txt").write_text("two\n")
    git(root, "add", "a/two.txt")
    git(root, "commit", "-q", "-m", "two")
    good = inproc("run", "--json", cwd=root)
    assert good.returncode == 0, (good.stdout, good.stderr)
    assert json.loads(good.stdout)["commit"] == git(root, "rev-parse", "HEAD")


def test_a_run_refused_before_it_starts_leaves_no_listing_or_head_to_the_next(
        tmp_path: Path, entry: Entry, inproc: Entry, backend: str) -> None:
    """A run refused while its options are read (before its context) took none of what the
    entry point started for it (engine/prestart): a later run must not take them either."""
    root = _repo(tmp_path / "r")
    assert entry("run", cwd=root).returncode == 0
    assert entry("run", "--task", "a", "--all", cwd=root).returncode == 2
    assert not (root / ".git" / "index.lock").exists(), "the refused run left .git/index.lock"
    (root / "a" / "one.txt").write_text("changed, not staged\n")
    later = inproc("run", "--json", cwd=root)
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["counts"] == {"completed": 1}, "a listing from before the change"
    assert entry("run", "--task", "a", "--all", cwd=root).returncode == 2
    assert not (root / ".git" / "index.lock").exists(), "the refused run left .git/index.lock"
    git(root, "commit", "-q", "-am", "two")
    later = inproc("run", "--json", cwd=root)
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["commit"] == git(root, "rev-parse", "HEAD"), "HEAD from before the commit"


def test_a_refused_run_waits_for_its_git_status_instead_of_signalling_it(tmp_path: Path,
                                                                         entry: Entry) -> None:
    """The entry point's end waits for the git status a refused run started (engine/prestart):
    a signal could hit git between its creating .git/index.lock and its installing the handler
    that removes it, leaving the lock in the user's repository. Its fsmonitor hook sleeps, so
    git status is still running when the command ends."""
    root = _repo(tmp_path / "r")
    marks = slow_status(root, tmp_path, 0.3)
    assert entry("run", "--task", "a", "--all", cwd=root).returncode == 2
    assert status_was_waited_for(marks), "the refused run signalled its git status"
    assert not (root / ".git" / "index.lock").exists(), "the refused run left .git/index.lock"
    git(root, "commit", "-q", "--allow-empty", "-m", "after")


def test_a_dry_run_leaves_no_head_to_the_next_run(tmp_path: Path, entry: Entry, inproc: Entry) -> None:
    """A dry run reads HEAD its own way: the HEAD its early rev-parse answered (a run's,
    engine/prestart) is not left for a later run in the same process."""
    root = _repo(tmp_path / "r")
    assert entry("run", "--dry-run", cwd=root).returncode == 0
    (root / "a" / "two.txt").write_text("two\n")
    git(root, "add", "a/two.txt")
    git(root, "commit", "-q", "-m", "two")
    later = inproc("run", "--json", cwd=root)
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["commit"] == git(root, "rev-parse", "HEAD"), "HEAD from before the commit"


SETTINGS_PROBE = """
import contextlib, io, json, subprocess, sys
from gitorch.cli.entry import main


def status():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            main(["status", "--json"])
        except SystemExit:
            pass
    return json.loads(out.getvalue())["run"] is not None


print(status())
subprocess.run(["git", "config", "orch.stateBranch", "orch/other"], check=True)  # a branch without runs
print(status())
"""


def test_settings_read_by_one_command_are_not_the_next_ones(tmp_path: Path, entry: Entry) -> None:
    """A caller calling main twice (no fixture clearing gitorch.config's cache between): the
    second command reads git's config afresh, as a new process would."""
    import subprocess
    import sys

    root = _repo(tmp_path / "r")
    assert entry("run", cwd=root).returncode == 0
    proc = subprocess.run([sys.executable, "-c", SETTINGS_PROBE], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.split() == ["True", "False"], (proc.stdout, proc.stderr)
