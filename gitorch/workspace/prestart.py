"""`ws snapshot --root DIR` starts its git processes before the command line is even parsed.

git status of every repo is most of a snapshot's time, and the interpreter's start-up imports
are most of the rest; both can run at once. The console entry point calls `start` with the
arguments (as it does engine/prestart for `run`): it reads the workspace under `--root` and
starts `git status` in each repo; `take` hands that work to workspace/capture.py when the
command snapshots the same folder. Anything unexpected (no `--root`, a manifest that does
not parse, an option the command then refuses) leaves nothing behind but finished
processes: the command reads the workspace itself and reports any problem.

A folder without workspace.toml (or graft.exs) has its repos listed and their git started
before anything else is imported (workspace/repodirs.py: os only, no pathlib, dataclasses or
typing); the manifest is made after from that one listing (manifest.discover). (Not in a
thread: os.posix_spawn holds the GIL until the child's exec, so no import would run beside it.)
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

    from gitorch.workspace.gitstate import Reading
    from gitorch.workspace.manifest import Manifest

_started: dict[str, tuple[Manifest, Reading]] = {}


def start(args: list[str]) -> None:
    """For the arguments after `ws snapshot`: start reading the workspace named by `--root`."""
    root = _root(args)
    if root is None:
        return
    try:
        from gitorch.workspace.gitstate import start_all

        folder, listing = _found(root)
        early = None
        if listing:  # git starts before the manifest's modules load
            early = start_all([(name, os.path.join(folder, child)) for name, child in listing])
        try:
            from gitorch.workspace.manifest import discover, load_manifest, repo_folders

            manifest = discover(folder, listing) if listing is not None else load_manifest(root)
            paths = repo_folders(manifest)
        except BaseException:
            if early is not None:
                early(stop=True)  # ended and reaped: nothing is left running
            raise
        _started[manifest.root_text] = (manifest, early or start_all(paths))
    except Exception:  # noqa: BLE001 - the command reads it again and says what is wrong
        _started.clear()


def forget() -> None:
    """End what `start` started and no command took (cli/entry, at the command's end: a
    snapshot refused, or one of another folder), so a later command in this process reads
    the workspace afresh. No more git status is started (the collector would start the
    repos past gitstate.RUNNING as the first end); the ones running are terminated and
    reaped (gitcmd.git_start's stop): run with --no-optional-locks they take no lock and
    write nothing. No child of theirs is left when this returns."""
    started = list(_started.values())
    _started.clear()
    for _, reading in started:
        reading(stop=True)


def _found(root: str) -> tuple[str, list[tuple[str, str]] | None]:
    """`root` as an absolute folder, and repodirs.repo_dirs of it (name, folder name) when it
    holds no manifest, else None."""
    from gitorch.workspace.repodirs import repo_dirs

    folder = os.path.normpath(os.path.abspath(root))  # manifest.workspace_folder
    if any(os.path.exists(os.path.join(folder, name)) for name in ("workspace.toml", "graft.exs")):
        return folder, None
    return folder, repo_dirs(folder)


def take(root: Path | str) -> tuple[Manifest, Reading] | None:
    """The manifest and the git states started for `root` (a normalised absolute folder, as
    manifest.workspace_folder gives it, or as a Path), once."""
    return _started.pop(str(root), None)


def _root(args: list[str]) -> str | None:
    """The value of the last `--root` (as click reads it), None without one."""
    root = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--root" and i + 1 < len(args):
            root = args[i + 1]
        elif arg.startswith("--root="):
            root = arg[len("--root="):]
    return root or None
