"""Run by zipapp/hotset.py at build time, in a scratch repository: the everyday commands, one
after another in this one process, importing gitorch from a staging folder. Prints, as JSON,
the staged modules each command imported first (sorted per command): the order in which
orch.pyz ships their bytecode.

Usage: python -S -P trace_hot.py STAGE COMMANDS_JSON OUT (the JSON is written to OUT)
"""

from __future__ import annotations

import json
import os
import sys


def _staged(stage: str) -> set[str]:
    prefix = stage + os.sep
    return {os.path.relpath(f, stage).replace(os.sep, "/") for m in list(sys.modules.values())
            if isinstance(f := getattr(m, "__file__", None), str) and f.startswith(prefix)}


def main() -> None:
    stage, commands, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    sys.path.insert(0, stage)
    seen: set[str] = set()
    order: list[list[str]] = []
    for args in commands:
        sys.argv = ["orch", *args]
        try:
            from gitorch.cli.entry import main as run

            run(args)
        except SystemExit:
            pass
        now = _staged(stage)
        order.append(sorted(now - seen))
        seen |= now
    with open(out, "w") as f:
        json.dump(order, f)


if __name__ == "__main__":
    main()
