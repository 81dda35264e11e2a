"""`ws snapshot --root DIR` starts its git processes before the command line is even parsed.

git status of every repo is most of a snapshot's time, and the interpreter's start-up imports
are most of the rest; both can run at once. The console entry point calls `start` with the
arguments (as it does engine/prestart for `run`): it reads the workspace under `--root` and
starts `git status` in each repo; `take` hands that work to workspace/capture.py when the
command snapshots the same folder. Anything unexpected (no `--root`, a manifest that does
not parse, an option the command then refuses) leaves nothing behind but finished
processes: the command reads the workspace itself and reports any problem.

The starting happens in a thread: each process start waits until the child has run its
exec (posix_spawn), and while earlier git processes keep the cores busy that wait is long
(20 repos on 2 busy cores: most of the command's time, the interpreter idle). Meanwhile the
main thread imports and parses the command line; `take` waits for the thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threading import Thread

    from gitorch.workspace.manifest import Manifest
    from gitorch.workspace.records import GitState

_started: dict[Path, tuple[Manifest, Callable[[], list[GitState]]]] = {}
_starting: list[Thread] = []


def start(args: list[str]) -> None:
    """For the arguments after `ws snapshot`: start reading the workspace named by `--root`
    (in a thread; `take` waits for it)."""
    root = _root(args)
    if root is None:
        return
    import threading

    thread = threading.Thread(target=_start, args=(root,), name="ws-prestart", daemon=True)
    thread.start()
    _starting.append(thread)


def _start(root: str) -> None:
    try:
        from gitorch.workspace.gitstate import start_all
        from gitorch.workspace.manifest import load_manifest, repo_paths

        manifest = load_manifest(root)
        _started[manifest.root] = (manifest, start_all(repo_paths(manifest)))
    except Exception:  # noqa: BLE001 - the command reads it again and says what is wrong
        _started.clear()


def take(root: Path) -> tuple[Manifest, Callable[[], list[GitState]]] | None:
    """The manifest and the git states started for `root` (a normalised absolute folder), once."""
    while _starting:
        _starting.pop().join()
    return _started.pop(root, None)


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
