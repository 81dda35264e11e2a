"""The lean start-up path (gitorch/cli/lean.py) against the typer path, whole processes.

Not a P-case of its own: it says what the lean path saves on each hot command (the figure
the P1/P2/P5/P8/P9 cases contain), in a small repository with one run. Both sides start the
same interpreter with the same entry point (gitorch.cli.entry.main); the typer side has the
lean path switched off in its -c line, which is the start-up before it existed.
Run: PATH=.venv/bin:$PATH .venv/bin/python tests/bench/lean_start.py [rounds]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from measure import added, git_repo, interleave, ratio, sh, timed

ENTRY = "import sys; from gitorch.cli.entry import main; main(sys.argv[1:])"
TYPER = "import sys; from gitorch.cli import lean; lean.find = lambda args: None; " + ENTRY
PLAN = {"version": 1, "tasks": [{"id": "a", "commands": {"t": "true"}},
                                {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}]}
COMMANDS = (["status"], ["next"], ["explain", "a"], ["run"], ["plan", "validate"], ["ws", "snapshot"])


def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-lean-"))
    repo = git_repo(work / "repo", {"orchestrator.json": json.dumps(PLAN)})
    sh(["git", "orch", "run"], repo)
    for argv in COMMANDS:
        sides = {side: lambda code=code, argv=argv: timed([sys.executable, "-c", code, *argv], repo)
                 for side, code in (("lean", ENTRY), ("typer", TYPER))}
        samples = interleave(sides, rounds)
        ratio(" ".join(argv), samples, "lean", "typer", "", None)
        added(" ".join(argv), samples, "lean", "typer", "", None)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
