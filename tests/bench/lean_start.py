"""The lean start-up path (gitorch/cli/lean.py) against the typer path, whole processes.

Not a P-case of its own: it says what the lean path saves on each hot command (the figure
the P1/P2/P5/P8/P9 cases contain), in a small repository with one run. Both sides start the
same interpreter with the same entry point (gitorch.cli.entry.main); the typer side has the
lean path switched off in its -c line, which is the start-up before it existed. Beside the
wall time, the CPU time (user + system, from wait4) each process used: on a shared, loaded
machine it moves far less than the wall time.
Run: PATH=.venv/bin:$PATH .venv/bin/python tests/bench/lean_start.py [rounds]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from measure import added, git_repo, interleave, ratio, sh, timed

ENTRY = "import sys; from gitorch.cli.entry import main; main(sys.argv[1:])"
TYPER = "import sys; from gitorch.cli import lean; lean.find = lambda args: None; " + ENTRY
PLAN = {"version": 1, "tasks": [{"id": "a", "commands": {"t": "true"}},
                                {"id": "b", "dependencies": ["a"], "commands": {"t": "true"}}]}
COMMANDS = (["status"], ["next"], ["explain", "a"], ["run"], ["plan", "validate"], ["ws", "snapshot"])


def _side(code: str, argv: list[str], repo: Path, cpu: dict[str, list[float]],
          side: str) -> Callable[[], float]:
    return lambda: timed([sys.executable, "-c", code, *argv], repo, cpu=cpu[side])


def main(rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-lean-"))
    repo = git_repo(work / "repo", {"orchestrator.json": json.dumps(PLAN)})
    sh(["git", "orch", "run"], repo)
    for argv in COMMANDS:
        cpu: dict[str, list[float]] = {"lean": [], "typer": []}
        samples = interleave({"lean": _side(ENTRY, argv, repo, cpu, "lean"),
                              "typer": _side(TYPER, argv, repo, cpu, "typer")}, rounds)
        what = " ".join(argv)
        ratio(what, samples, "lean", "typer", "", None)
        added(what, samples, "lean", "typer", "", None)
        saved = [(t - lean) * 1000 for lean, t in zip(cpu["lean"][1:], cpu["typer"][1:], strict=True)]
        print(f"  {what}: CPU time lean {statistics.median(cpu['lean'][1:]) * 1000:.1f} ms, typer "
              f"{statistics.median(cpu['typer'][1:]) * 1000:.1f} ms, saved per round median "
              f"{statistics.median(saved):.1f} ms (min {min(saved):.1f}, max {max(saved):.1f})", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
