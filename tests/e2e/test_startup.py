"""The everyday commands start cheaply: one command built, no pygit2 or portalocker on reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import git
from tests.e2e.helpers import write_plan

PROBE = """
import json, sys
sys.argv = ["git-orch", *sys.argv[1:]]
from gitorch.cli.entry import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write(json.dumps({m: m in sys.modules for m in ("pygit2", "portalocker", "httpx",
                 "gitorch.engine.run", "gitorch.cli.app")}) + "\\n")
"""


def _loaded(root: Path, *args: str) -> dict[str, bool]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=root, capture_output=True, text=True,
                          timeout=60)
    last = proc.stderr.strip().splitlines()[-1]
    return dict(json.loads(last))


def test_read_commands_import_neither_pygit2_nor_portalocker(repo: Path, orch: Any) -> None:
    write_plan(repo, [{"id": "a", "commands": {"t": "true"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    assert orch("run", "--all", cwd=repo).returncode == 0
    for args in (["status"], ["next", "--json"], ["explain", "a"], ["context", "b"], ["report"]):
        loaded = _loaded(repo, *args)
        assert loaded["pygit2"] is False, args
        assert loaded["portalocker"] is False, args
        assert loaded["httpx"] is False, args
        assert loaded["gitorch.engine.run"] is False, args
    assert _loaded(repo, "--version")["gitorch.cli.app"] is False  # answered before typer


def test_app_for_builds_only_the_named_command() -> None:
    from gitorch.cli.app import app, app_for

    full = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert {"run", "status", "plan", "ws", "hooks"} <= full
    for name in full:  # every command and group is reachable on its own
        pruned = app_for([str(name), "--json"])
        names = [c.name for c in pruned.registered_commands] + [g.name for g in pruned.registered_groups]
        assert names == [name]
    assert app_for(["-h"]) is app
    assert app_for(["-h", "status"]) is app  # the root's help lists every command
    assert app_for([]) is app
    assert app_for(["no-such-command"]) is app  # typer still says "No such command"
    assert len(app.registered_commands) + len(app.registered_groups) == len(full)  # not mutated


def test_typo_and_help_still_work(repo: Path, orch: Any) -> None:
    bad = orch("stauts", cwd=repo)
    assert bad.returncode == 2 and "No such command" in bad.stderr
    listing = orch("-h", cwd=repo)
    assert listing.returncode == 0 and "status" in listing.stdout and "ws" in listing.stdout


def test_a_run_from_a_subfolder_sees_changes_anywhere_in_the_work_tree(repo: Path, orch: Any) -> None:
    # the listing starts before the imports, from the current folder: paths from the top
    for d in ("a", "b", "deep/sub"):
        (repo / d).mkdir(parents=True)
        (repo / d / "f.txt").write_text(d + "\n")
    write_plan(repo, [{"id": t, "paths": {"preferred": [f"{t}/"]}, "commands": {"t": "true"}}
                      for t in ("a", "b")])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    here = repo / "deep" / "sub"
    first = json.loads(orch("run", "--json", cwd=here).stdout)
    assert first["counts"] == {"completed": 2}
    (repo / "b" / "f.txt").write_text("changed\n")  # modified, tracked
    (repo / "a" / "new.txt").write_text("new\n")  # untracked
    again = json.loads(orch("run", "--json", cwd=here).stdout)
    assert again["counts"] == {"completed": 2}
    same = json.loads(orch("run", "--json", cwd=here).stdout)
    assert same["counts"] == {"skipped": 2}
    explain = json.loads(orch("explain", "a", "--json", cwd=repo).stdout)
    assert "a/new.txt" in explain["files"] and explain["action"] == "skip"


def test_a_fresh_run_after_sigkill_skips_what_the_killed_run_completed(repo: Path, tmp_path: Path) -> None:
    # a plain run reads last passes from watch.json, unless a journal has not reached the branch
    import os
    import signal
    import subprocess
    import time

    count, started = tmp_path / "count", tmp_path / "b-started"
    write_plan(repo, [{"id": "a", "commands": {"t": f"echo x >> {count}"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": f"touch {started}; sleep 30"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    proc = subprocess.Popen(["git-orch", "run"], cwd=repo, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 20
    while not started.exists() and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    write_plan(repo, [{"id": "a", "commands": {"t": f"echo x >> {count}"}},
                      {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}])
    out = subprocess.run(["git-orch", "run", "--json"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["counts"] == {"skipped": 1, "completed": 1}
    assert count.read_text().count("x") == 1  # a ran once in all
