"""P2's floor for a Python tool: the interpreter, the libraries gitorch itself cannot start
without (msgspec, which brings typing, datetime and decimal; pathlib; subprocess), and one
`git status` of the work tree, the listing gitorch reads, split into its entries. git
starts first and lists while the libraries load, as gitorch's own start does
(engine/prestart), without its preload threads on 2 cores (gitcmd.status_config). No plan,
no digest, no commit: what any Python tool that asks git what changed pays.

usage: floor_status.py (in the repository)
"""

from __future__ import annotations

import os
import subprocess
import sys


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


PRELOAD = ["-c", "core.preloadIndex=false"] if sys.platform.startswith("linux") and _cores() <= 2 else []
STATUS = ["git", *PRELOAD, "status", "--porcelain=v1", "-z", "--no-renames",
          "--ignore-submodules=all", "--untracked-files=all", "--", ":/"]


def main() -> None:
    status = subprocess.Popen(STATUS, stdout=subprocess.PIPE)
    import pathlib

    import msgspec

    out = status.communicate()[0]
    entries = [e for e in out.split(b"\0") if e]
    sys.exit(status.returncode or (0 if msgspec.json.encode(len(entries)) and pathlib.Path.cwd() else 1))


if __name__ == "__main__":
    main()
