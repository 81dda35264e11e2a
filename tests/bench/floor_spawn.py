"""P1's floor for a Python parent: the same DAG's commands (a root, then the rest), `-j`
at a time, started with os.posix_spawn as gitorch starts them and reaped, and nothing else:
no plan, no events, no state branch. What any Python task runner pays before its own work.

usage: floor_spawn.py TASKS JOBS COMMAND
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys


def main() -> None:
    tasks, jobs, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    argv = shlex.split(command)
    argv[0] = shutil.which(argv[0]) or argv[0]
    env = dict(os.environb)  # encoded once, as gitorch's RunContext does
    _, status = os.waitpid(os.posix_spawn(argv[0], argv, env, setsid=True), 0)  # the root
    if os.waitstatus_to_exitcode(status):
        sys.exit(1)
    started, live = 1, 0
    while started < tasks or live:
        while live < jobs and started < tasks:
            os.posix_spawn(argv[0], argv, env, setsid=True)
            started, live = started + 1, live + 1
        _, status = os.waitpid(-1, 0)
        live -= 1
        if os.waitstatus_to_exitcode(status):
            sys.exit(1)


if __name__ == "__main__":
    main()
