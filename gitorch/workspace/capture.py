"""`ws snapshot`'s hot path: every repo's `git status` starts before the snapshot's heavier
imports (the manifest parsers, json) are done, so git and the interpreter work at the same
time; the enriched parts are read in a thread meanwhile (it waits on git). The snapshot is
computed and written as workspace/records.py's records: msgspec is not imported unless
discovery records are attached (their reader needs it).

Only what finds the repos is imported before git starts (workspace/prestart, from the
console entry point). No thread imports or starts processes beside the main thread: in
CPython 3.11 os.posix_spawn holds the GIL until the child has run its exec, so nothing
would run beside it.
"""

from __future__ import annotations

from gitorch.workspace import gitstate, prestart
from gitorch.workspace.manifest import load_manifest, repo_folders, workspace_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import Any

    from gitorch.workspace.records import Snapshot


def take_enriched(root: Path | str, parts: Callable[[], Mapping[str, Any]] | None) -> Snapshot:
    """`snapshot.capture` of the workspace at `root`, with the enriched parts `parts()` returns
    (e.g. discovery's records) attached; None: there are none.

    `parts` runs in a thread meanwhile (reading the state branch waits on git as the snapshot
    does, so it adds almost no time); the id stays the digest of the workspace alone. An
    error in `parts` is raised here, after the snapshot.
    """
    started = prestart.take(workspace_folder(root))  # the console entry point's early start
    if started is not None:
        manifest, reading = started
    else:
        manifest = load_manifest(root)
        reading = gitstate.start_all(repo_folders(manifest))
    found: list[Mapping[str, Any]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            found.append(parts() if parts is not None else {})
        except BaseException as exc:  # raised in the caller's thread below
            failed.append(exc)

    worker = None
    if parts is not None:
        import threading

        worker = threading.Thread(target=run, name="snapshot-parts", daemon=True)
        worker.start()
    from gitorch.workspace.records import ENRICHMENT
    from gitorch.workspace.snapshot import capture

    try:
        snap = capture(manifest, reading=reading)
    except BaseException:  # ended early (an error, Ctrl-C): no git of it is left running
        reading(stop=True)
        raise
    if worker is None:
        return snap
    worker.join()
    if failed:
        raise failed[0]
    return snap.replace(**{k: dict(v) for k, v in found[0].items() if k in ENRICHMENT})


def to_json(snap: Snapshot) -> bytes:
    """The snapshot's JSON, byte for byte what msgspec's deterministic encoder gives for its
    model: the standard library writes a snapshot's own parts (records.canonical); with
    enriched parts attached (free-form data, floats maybe) the model writes it, as msgspec
    is loaded by then (discovery's records are read with it)."""
    from gitorch.workspace.records import ENRICHMENT, canonical

    if all(getattr(snap, part) is None for part in ENRICHMENT):
        return canonical(snap)
    from gitorch.workspace.model import encode, from_record

    return encode(from_record(snap))
