"""The work-tree listing of `git orch run`, started before the CLI imports anything heavy.

A run that skips everything is start-up bound: the interpreter and the CLI's imports take
~0.1 s, and listing a 10,000-file work tree (`git ls-files -s`, `git status`) ~20 ms more.
`start()` runs from the console entry point, before typer is imported, so git lists the work
tree while Python imports; `take()` hands the running processes to the engine. Paths are
asked from the top of the work tree (`:/`, `--full-name`; `status --porcelain` always gives
them so), so the result is the same from any subfolder. Only the standard library here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch.gitcmd import git_popen

if TYPE_CHECKING:
    from gitorch.engine.inputs import WorktreeReader
    from gitorch.gitcmd import GitProcess

LS_ARGS = ["ls-files", "-s", "-z", "--full-name", "--", ":/"]
STATUS_ARGS = ["status", "--porcelain=v1", "-z", "--no-renames", "--ignore-submodules=all",
               "--untracked-files=all", "--", ":/"]

_started: tuple[str, GitProcess, GitProcess] | None = None


def _git(args: list[str], cwd: str) -> GitProcess:
    return git_popen(args, cwd)


def start() -> None:
    """Start listing the work tree of the current directory's repository (never raises)."""
    global _started
    try:
        cwd = os.getcwd()
        _started = (cwd, _git(LS_ARGS, cwd), _git(STATUS_ARGS, cwd))
    except OSError:
        _started = None


def take(root: Path) -> WorktreeReader | None:
    """The listing started for this directory, as a reader of the work tree at `root`."""
    global _started
    started, _started = _started, None
    if started is None:
        return None
    cwd, ls, st = started
    try:
        here = os.getcwd()
    except OSError:
        here = ""
    if here != cwd:
        for proc in (ls, st):
            proc.kill()
            proc.communicate()
        return None
    from gitorch.engine.inputs import WorktreeReader

    return WorktreeReader.adopt(root, ls, st)
