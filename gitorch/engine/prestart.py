"""The work-tree listing of `git orch run`, started before the CLI imports anything heavy.

A run that skips everything is start-up bound: the interpreter and the CLI's imports take
~0.1 s, and `git status` of a 10,000-file work tree ~40 ms more. `start()` runs from the
console entry point, before typer is imported, so git looks at the work tree while Python
imports; `take()` hands the running process to the engine. `git rev-parse` (where the
repository is, and HEAD) starts before it and goes to repo.adopt_early, as start_early's
for status, and the Context's find_repo takes its answer, so the run does not wait for it
later. `git cat-file --batch` is the state store's reader, which engine/run hands to the CLI
backend when the store reads the repository of this directory (`reader_for`; else it is
stopped), so the first read of the state branch does not wait for git to start; `git config`
reads the settings' and the store's keys (gitorch/earlyconfig). Only these four start here:
`git ls-files -s` is needed only when the inputs cache misses (inputcache.py), and then
starts from the top of the work tree (`:/`, `--full-name`; `status --porcelain` always gives
paths so), so the result is the same from any subfolder. Only the standard library here.
"""

from __future__ import annotations

import os
import sys

from gitorch.gitcmd import HEAD, WHERE, git_popen, status_config

# Neither pathlib nor typing at module level (~15 ms of imports, re and urllib among them):
# git status starts before they load, not after (they load while it runs).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from gitorch.engine.worktree import WorktreeReader
    from gitorch.gitcmd import GitProcess

STATUS_ARGS = ["status", "--porcelain=v1", "-z", "--no-renames", "--ignore-submodules=all",
               "--untracked-files=all", "--", ":/"]

# How long an early git status nobody takes is waited for before it is stopped (`finish`)
FINISH_TIMEOUT = 10.0
# How long it is waited for after a Ctrl-C (a terminal's reaches git too, a SIGINT to gitorch alone does not)
INTERRUPT_GRACE = 1.0

_started: tuple[str, GitProcess] | None = None
# `git cat-file --batch` started here too: the state store's reader (store/cli_backend), so
# its first answer does not wait for git to start (handed over by `reader_for`)
_reader: tuple[str, GitProcess] | None = None
# the status `take` handed to a run; `forget` ends it if the run did not read it all (Ctrl-C)
_handed: GitProcess | None = None


def start() -> None:
    """Start `git rev-parse` (with HEAD), `git cat-file --batch`, `git config` and `git status`
    in the current directory (never raises).

    `git status` starts last: on a large work tree its threads take every core, and a git
    started after it keeps this process waiting in vfork until a core is free (~4 ms each on
    2 cores); the three others are quick and start in well under a millisecond each."""
    global _started, _reader
    try:
        cwd = os.getcwd()
        where = git_popen([*WHERE, *HEAD], cwd)
    except OSError:
        return
    try:
        _reader = (cwd, git_popen(["cat-file", "--batch"], cwd, stdin=True, own_group=True))
    except OSError:
        _reader = None
    from gitorch import earlyconfig  # the settings' and the store's config keys, in one process

    earlyconfig.start()
    try:
        # without its preload threads on 2 cores (they would slow the imports: gitcmd); ended
        # with its hook if it hangs (finish)
        _started = (cwd, git_popen([*status_config(), *STATUS_ARGS], cwd))
    except OSError:
        _started = None
    from gitorch.repo import adopt_early  # (pathlib, typing: while git works)

    adopt_early(cwd, where, head=True)


def take(root: Path) -> WorktreeReader | None:
    """The listing started for this directory, as a reader of the work tree at `root`."""
    global _started, _handed
    started, _started = _started, None
    if started is None:
        return None
    cwd, st = started
    try:
        here = os.getcwd()
    except OSError:
        here = ""
    if here != cwd:
        finish(st)
        return None
    from gitorch.engine.worktree import WorktreeReader

    _handed = st
    return WorktreeReader.adopt(root, st)


def reader_for(cwd: Path) -> GitProcess | None:
    """The `cat-file --batch` started here when it runs in `cwd` (so it reads the repository
    found from `cwd`), else None (and it is stopped); used once."""
    global _reader
    started, _reader = _reader, None
    if started is None:
        return None
    where, proc = started
    if proc.poll() is None and _same_place(where, cwd):
        return proc
    stop_reader(proc)
    return None


def forget() -> None:
    """End what `start()` started and nobody took (cli/entry, at the command's end), so a
    later command in this process lists the work tree afresh: git status is waited for
    (`finish`: never signalled while it may hold the index lock), the reader stopped. So is
    a status handed to a run that did not read it to its end (a Ctrl-C while it read): a
    SIGINT to gitorch alone does not reach it."""
    global _started, _reader, _handed
    started, _started = _started, None
    handed, _handed = _handed, None
    reader, _reader = _reader, None
    try:
        if started is not None:
            finish(started[1])
        if handed is not None and handed.returncode is None:
            finish(handed)
    finally:
        if reader is not None:
            stop_reader(reader[1])


def finish(status: GitProcess, timeout: float = FINISH_TIMEOUT) -> None:
    """Reap an early `git status` nobody takes: it is waited for (its output read and
    dropped), never signalled while it may hold `.git/index.lock` in the user's repository:
    git creates the lock a moment before it installs the handler that removes it on SIGTERM,
    so a signal in between leaves the lock, and every later `git commit` fails on it. The
    status bounds the wait (tens of ms); one that has not ended after `timeout` seconds (a
    hung fsmonitor, NFS) is ended with what it started (the hook too). A Ctrl-C meanwhile
    gives it INTERRUPT_GRACE seconds more, ends it so, and goes on (KeyboardInterrupt)."""
    timed_out = sys.modules["subprocess"].TimeoutExpired  # the module that started it (gitcmd)
    try:
        status.communicate(timeout=timeout)
        return
    except timed_out:
        pass
    except KeyboardInterrupt:
        _end_status(status, INTERRUPT_GRACE)
        raise
    _end_status(status, 0.0)


def _end_status(status: GitProcess, grace: float) -> None:
    """git status, if it has not ended within `grace` seconds (or at a Ctrl-C meanwhile), and
    what it started (gitcmd.end_tree: terminated, killed if git lingers); git reaped."""
    from gitorch.gitcmd import end_tree

    if grace:
        try:
            status.communicate(timeout=grace)
            return
        except (sys.modules["subprocess"].TimeoutExpired, KeyboardInterrupt):
            pass
    try:
        if status.returncode is None:  # not reaped: its pid is still its own
            end_tree(status.pid, status.poll, timeout=2.0)
    finally:
        status.wait()
        if status.stdout:  # not communicate(): a child git left may hold the pipe open
            status.stdout.close()


def stop_reader(proc: GitProcess) -> None:
    """End a reader nobody takes (its stdin closed: git exits)."""
    from gitorch.gitcmd import stop

    stop(proc)


def _same_place(where: str, cwd: Path) -> bool:
    try:  # what Path.resolve() compares, without loading pathlib for it
        return os.path.realpath(where) == os.path.realpath(cwd)
    except (OSError, ValueError):
        return False
