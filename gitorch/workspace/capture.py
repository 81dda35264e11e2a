"""`ws snapshot`'s hot path: every repo's `git status` starts before the snapshot's heavier
imports (the manifest parsers, json) are done, so git and the interpreter work at the same
time; the enriched parts are read in a thread meanwhile. The snapshot is computed and
written as workspace/records.py's records: msgspec is not imported unless discovery records
are attached (their reader needs it).

Only what finds the repos is imported before git starts (the manifest and gitstate modules
load neither msgspec nor tomllib for an auto-discovered workspace). The rest is imported by a
thread while the main thread starts the git processes: each process start waits for the
child's exec with the GIL released (20 repos, at load 9: 5-7% less time, paired rounds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitorch.workspace import gitstate, prestart
from gitorch.workspace.manifest import load_manifest, repo_paths, workspace_root

if TYPE_CHECKING:
    from gitorch.workspace.records import Snapshot


def take_enriched(root: Path | str, parts: Callable[[], Mapping[str, Any]] | None) -> Snapshot:
    """`snapshot.capture` of the workspace at `root`, with the enriched parts `parts()` returns
    (e.g. discovery's records) attached; None: there are none.

    `parts` runs in a thread meanwhile (reading the state branch waits on git as the snapshot
    does, so it adds almost no time); the id stays the digest of the workspace alone. An
    error in `parts` is raised here, after the snapshot.
    """
    import threading

    loader = threading.Thread(target=_load, name="snapshot-imports", daemon=True)
    started = prestart.take(workspace_root(root))  # the console entry point's early start
    if started is not None:
        manifest, reading = started
        loader.start()
    else:
        manifest = load_manifest(root)
        loader.start()
        reading = gitstate.start_all(repo_paths(manifest))
    found: list[Mapping[str, Any]] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            found.append(parts() if parts is not None else {})
        except BaseException as exc:  # raised in the caller's thread below
            failed.append(exc)

    worker = threading.Thread(target=run, name="snapshot-parts", daemon=True)
    if parts is not None:
        worker.start()
    loader.join()
    from gitorch.workspace.records import ENRICHMENT
    from gitorch.workspace.snapshot import capture

    snap = capture(manifest, reading=reading)
    if parts is None:
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


def _load() -> None:
    """Import the snapshot's code while the main thread starts git (it waits on each process
    start with the GIL released); a failure is left for the main thread's import to raise."""
    try:
        import json  # noqa: F401 - records.canonical's encoder

        import gitorch.workspace.overlay  # noqa: F401
        import gitorch.workspace.snapshot  # noqa: F401
    except BaseException:
        return
