"""How a `git orch` process ends (issue 15, P1): what the command made is frozen at exit,
so the interpreter's last collection does not scan it; the process's output and records are
what they were."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.engine.helpers import write_plan

_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, flush=True))
from gitorch.cli.entry import main
main(["--version"])
main(["--version"])
from gitorch.cli import entry
print("registered:", len(entry._AT_EXIT), flush=True)
print("frozen after main:", gc.get_freeze_count(), flush=True)
"""


def test_the_process_freezes_what_it_made_last_at_exit_once(tmp_path: Path) -> None:
    """Frozen last at exit (registered once), and not left frozen for an in-process caller
    when main returns (start-up's objects are frozen only while a command runs)."""
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].startswith("gitorch ") and out[1] == out[0]
    assert out[2:] == ["registered: 1", "frozen after main: 0", "frozen at exit: True"]


def test_a_run_process_ends_with_its_output_and_records_whole(repo: Path, orch: Any) -> None:
    tasks: list[dict[str, Any]] = [{"id": "root", "commands": {"t": "true"}}]
    tasks += [{"id": f"t{i}", "dependencies": ["root"], "commands": {"t": "sh -c true"}} for i in range(8)]
    tasks.append({"id": "talks", "commands": {"t": "echo said-it"}})
    write_plan(repo, tasks)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "plan"], cwd=repo, check=True)
    done = orch("run", "-j2", "--json", cwd=repo)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)  # the whole JSON document, written before the exit
    assert (result["status"], result["counts"]) == ("completed", {"completed": 10})
    shown = orch("status", "--json", cwd=repo)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["run"]["id"] == result["run"]
    journal = repo / ".git" / "orch" / "journal"
    assert not journal.exists() or not any(journal.iterdir())  # every event on the branch
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", "orch/state", "logs/"], cwd=repo,
                           capture_output=True, text=True, check=True).stdout.split()
    assert [n for n in names if f"/{result['run']}/talks/" in f"/{n}"] == names and len(names) == 1
    shown_log = subprocess.run(["git", "show", f"orch/state:{names[0]}"], cwd=repo, capture_output=True,
                               text=True, check=True).stdout
    assert shown_log == "said-it\n"  # the kept output, written whole


_CALLER_FROZE = """
import gc, sys
kept = [[n] for n in range(1000)]  # the caller's own objects, frozen by the caller
gc.freeze()
from gitorch.cli.entry import main
main(["--version"])
for args in (["status"], ["no-such-command"]):
    try:
        main(args)
    except SystemExit as stop:
        print("exit:", stop.code, flush=True)
print("caller's freeze kept:", gc.get_freeze_count() > len(kept), gc.isenabled(), flush=True)
gc.unfreeze()
main(["--version"])
print("thawed after:", gc.get_freeze_count(), flush=True)
"""


def test_main_leaves_what_a_caller_froze_frozen(tmp_path: Path) -> None:
    """An in-process caller that froze its own objects (a pre-fork server) finds them frozen
    after main returns or exits, with any exit code; one that froze nothing, nothing."""
    proc = subprocess.run([sys.executable, "-c", _CALLER_FROZE], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("gitorch ")]
    assert lines == ["exit: 2", "exit: 2", "caller's freeze kept: True True", "thawed after: 0"], proc.stdout
