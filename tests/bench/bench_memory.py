"""Memory of a task that prints 1 GB: gitorch's peak RSS beside `cat`'s for the same output.

Issue 14's goal: under 64 MB for gitorch (`git orch run` of one task printing 1 GB, its
output streamed through the redactor into a head-and-tail log). The peer is `cat` copying
the same gigabyte. Peak RSS is the gitorch process's own (its git helpers and the task's
processes are separate programs, each small).

    python tests/bench/bench_memory.py [--mb 1024] [--secret]

`--secret` stores a secret first, so the output streams through the redactor in full (the
slower path: without secrets only the kept head and tail are read).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import git_repo

GOAL_MB = 64


def _peak(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float]:
    """(exit status, peak RSS in MB) of the process `argv` starts.

    Read from /proc/PID/status (VmHWM, the high-water mark of the program's own memory),
    polled until it exits: wait4's ru_maxrss would also count the memory of this Python
    process, which the child shares until it calls exec."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    status_file = Path(f"/proc/{proc.pid}/status")
    peak_kb = 0
    while proc.poll() is None:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode:
        sys.stderr.write(err)
    return proc.returncode, peak_kb / 1024


def _repo(root: Path, size: int, secret: bool) -> Path:
    # one line of 64 bytes repeated: like a chatty build log
    cmd = f"yes 'the quick brown fox jumps over the lazy dog, line after line 0123' | head -c {size}"
    task: dict[str, object] = {"id": "loud", "commands": {"print": cmd}}
    if secret:
        task["secrets"] = ["BENCH_TOKEN"]
    plan = {"version": 1, "tasks": [task]}
    return git_repo(root / "repo", {"orchestrator.json": json.dumps(plan)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024, help="megabytes the task prints (default 1024)")
    parser.add_argument("--secret", action="store_true", help="store a secret, so all output is redacted")
    args = parser.parse_args(argv)
    size = args.mb * 1024 * 1024
    orch = shutil.which("git-orch") or str(Path(sys.executable).parent / "git-orch")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        root = Path(tmp)
        repo = _repo(root, size, args.secret)
        env = {**os.environ, "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
               "GIT_COMMITTER_EMAIL": "b@x"}
        if args.secret:
            subprocess.run([orch, "secrets", "set", "BENCH_TOKEN"], cwd=repo, env=env, input=b"lazy dog",
                           check=True, capture_output=True)
        status, ours = _peak([orch, "run"], repo, env)
        theirs = _cat_peak(root, size)
    ok = status == 0 and ours < GOAL_MB
    print(f"task printing {args.mb} MB{' (redacted)' if args.secret else ''}:")
    verdict = "met" if ok else "NOT met"
    print(f"  gitorch run peak RSS {ours:6.1f} MB   (exit {status}; goal < {GOAL_MB} MB: {verdict})")
    print(f"  cat peak RSS         {theirs:6.1f} MB   (cat of a {args.mb} MB file)")
    print(f"  gitorch / cat: {ours / max(theirs, 0.1):.1f}x")
    return 0 if ok else 1


def _cat_peak(root: Path, size: int) -> float:
    """`cat` alone copying `size` bytes from a file (the peer)."""
    src = root / "src.bin"
    with open(src, "wb") as f:
        f.truncate(size)  # sparse: no disk used, cat still reads every byte
    _, peak = _peak(["cat", str(src)], root, dict(os.environ))
    src.unlink()
    return peak


if __name__ == "__main__":
    sys.exit(main())
