"""Git state of workspace repos: one `git status --porcelain=v2 --branch` per repo.

That one process gives branch, sha, upstream, ahead/behind and every changed path; an
in-progress merge or rebase is read from marker files in the git directory (no process).
States are workspace/records.py's plain records (no msgspec: `ws snapshot` never loads it),
and `start_all` takes folders as str too: workspace/prestart starts git before pathlib loads.
"""

from __future__ import annotations

import os

from gitorch.gitcmd import clean_env, git, git_start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path
    from typing import Protocol

    from gitorch.gitcmd import Started
    from gitorch.workspace.records import GitState

    Folder = Path | str

    class Reading(Protocol):
        """What start_all returns: the states; with stop, none (its git processes ended)."""

        def __call__(self, stop: bool = False) -> list[GitState]: ...

STATUS = ("--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal")
# git status processes running at once. Each lasts a few ms, most of it start-up and waiting
# on the file system, so more than the cores keeps them busy (20 repos on 2 cores: 20 at
# once take 0.65x the time of 2 at once). The ones past the cap start only as the first are
# collected (after the snapshot's imports), so the cap is high: it bounds processes and pipe
# memory for very large workspaces, not the usual ones.
RUNNING = 32


def parse_status(repo: str, out: bytes) -> GitState:
    """Read `git status --porcelain=v2 --branch -z` output."""
    from gitorch.workspace.records import MAX_CHANGED, GitState  # here: git starts before it loads

    fields: dict[str, object] = {"repo": repo}
    changed: list[str] = []
    conflicts: list[str] = []
    records = out.split(b"\0")
    i = 0
    while i < len(records):
        rec = records[i].decode("utf-8", errors="backslashreplace")  # JSON-safe: git allows any bytes
        i += 1
        if not rec:
            continue
        if rec.startswith("# branch.oid "):
            oid = rec[13:]
            fields["sha"] = None if oid == "(initial)" else oid
        elif rec.startswith("# branch.head "):
            head = rec[14:]
            fields["branch"] = None if head == "(detached)" else head
        elif rec.startswith("# branch.upstream "):
            fields["upstream"] = rec[18:]
        elif rec.startswith("# branch.ab "):
            ahead, behind = rec[12:].split()
            fields["ahead"], fields["behind"] = int(ahead), abs(int(behind))
        elif rec[0] == "1":
            changed.append(rec.split(" ", 8)[8])
        elif rec[0] == "2":
            changed.append(rec.split(" ", 9)[9])
            i += 1  # the original path of a rename follows as its own record
        elif rec[0] == "u":
            path = rec.split(" ", 10)[10]
            conflicts.append(path)
            changed.append(path)
        elif rec[0] == "?":
            changed.append(rec[2:])
    return GitState(**fields, changed=sorted(changed)[:MAX_CHANGED],
                    changed_total=len(changed), conflicts=sorted(conflicts)[:MAX_CHANGED],
                    dirty=bool(changed))


def read_one(repo: str, path: Path) -> GitState:
    """Git state of one repo; a missing or broken repo gives an empty state."""
    if not path.is_dir():
        return _state(repo, path, -1, b"")
    proc = git(list(STATUS), path, check=False)
    return _state(repo, path, proc.returncode, proc.stdout)


def start_all(repos: Sequence[tuple[str, Folder]], running: int = RUNNING) -> Reading:
    """Start `git status` in every repo (name, path) and return what collects their states, in
    the order given (the same as `read_one` of each). At most `running` run at once; the
    caller can do other work while they run. Each output pipe holds 1 MiB, so git finishes
    without being read; a larger output waits for its turn. `collect(stop=True)` starts no
    more and ends the ones started (gitcmd.git_start's stop), with what each started (a
    submodule's git status, an fsmonitor hook: gitcmd.end_tree), reaped when it returns; a
    collect that fails (Ctrl-C) ends them so too."""
    todo = [i for i, (_, path) in enumerate(repos) if os.path.isdir(path)]
    waits: dict[int, Started] = {}
    environ = clean_env({"GITORCH_HOOKS": "0"})  # made once, not once per repo (os.environ decoded each time)

    def launch(k: int) -> None:  # a stop ends its submodules' git too (gitcmd.end_tree)
        if k < len(todo):
            waits[todo[k]] = git_start(STATUS, str(repos[todo[k]][1]), environ=environ)

    for k in range(running):
        launch(k)

    def collect(stop: bool = False) -> list[GitState]:
        if stop:
            while waits:
                waits.popitem()[1](stop=True)
            return []
        states = [_state(name, path, -1, b"") for name, path in repos]
        try:
            for k, i in enumerate(todo):
                status, out = waits.pop(i)()
                launch(k + running)
                states[i] = _state(repos[i][0], repos[i][1], status, out)
        except BaseException:  # a Ctrl-C (a SIGINT to gitorch alone reaches no git)
            collect(stop=True)
            raise
        return states

    return collect


def _state(repo: str, path: Folder, status: int, out: bytes) -> GitState:
    """The state `git status` gave (exit `status`, output `out`); empty when it failed."""
    if status != 0:
        from gitorch.workspace.records import GitState

        return GitState(repo=repo)
    from gitorch.workspace.gitdir import git_dir_text, in_progress

    state = parse_status(repo, out)
    kind = in_progress(git_dir_text(str(path)))
    return state if kind is None else state.replace(in_progress=kind)
