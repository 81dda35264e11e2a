"""Snapshot generation: what the workspace is right now (the seed's section 5).

Every repo's `git status` starts first (one process each, run side by side) and the
manifests are parsed while they run; links are declarations that point at another workspace
repo's checkout; topology comes from graphlib over the dependencies that name another repo's
package. `ws snapshot` is a hot command (workspace/capture.py starts git before importing
this module): it imports no thread pool, no subprocess, no event types and no msgspec (the
snapshot is computed as workspace/records.py's records; `take` gives the model), and the lock
file's and detached HEAD's helpers, and graphlib where no repo depends on another, load only
when needed.
"""

from __future__ import annotations

import os

from gitorch.ids import now
from gitorch.workspace import gitstate
from gitorch.workspace.deps import (
    FRAMEWORKS,
    LANGUAGES,
    MANIFEST_FILES,
    Parsed,
    listed,
    normalise,
    parse_repo,
)
from gitorch.workspace.gitdir import exists as exists_path
from gitorch.workspace.gitdir import is_dir
from gitorch.workspace.manifest import Manifest, load_manifest, redact_url, repo_folders
from gitorch.workspace.records import (
    Dependency,
    Diagnostic,
    FileState,
    GitState,
    Link,
    Record,
    Snapshot,
    SnapshotRepo,
    Topology,
    digest,
    sha256,
    stamp,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any, TypeVar

    from gitorch.workspace import model

    Snap = TypeVar("Snap", Snapshot, "model.Snapshot")


def _read_files(name: str, path: str) -> tuple[Parsed, list[FileState]]:
    """What a repo's manifests and overlays declare, and their hashes (`path`: the repo's
    folder as text; a repo without overlays makes no Path, so pathlib is not loaded)."""
    if not is_dir(path):
        return Parsed(), []
    names = listed(path)  # one listing instead of an open per manifest and overlay
    parsed = parse_repo(name, path, names)
    files = [FileState(repo=name, file=f, sha256=_hash(os.path.join(path, f))) for f in parsed.manifests]
    if names is not None and "go.work" not in names and ".cargo" not in names:
        return parsed, files  # no overlay here (overlay.OVERLAYS): its module is not loaded
    from pathlib import Path

    from gitorch.workspace.overlay import read_overlays

    deps, overlays, diags = read_overlays(name, Path(path), names)  # go.work, .cargo/config.toml
    parsed.deps += deps
    parsed.diagnostics += diags
    files += overlays
    return parsed, files


def _hash(path: str) -> str:
    try:
        with open(path, "rb") as f:  # as Path.read_bytes
            return sha256(f.read())
    except OSError:
        return ""


def take(manifest_or_root: Manifest | Path | str, recorded: Sequence[model.Link] | None = None,
         jobs: int | None = None, reading: Callable[[], list[GitState]] | None = None) -> model.Snapshot:
    """A snapshot of the workspace; links gitorch made (`recorded`) keep their edit records.
    `jobs`: git processes at once (default gitstate.RUNNING); `reading`: the states of the
    manifest's repos, already being read (`start_all(repo_paths(manifest))`)."""
    from gitorch.workspace.model import from_record

    return from_record(capture(manifest_or_root, recorded, jobs, reading))


def capture(manifest_or_root: Manifest | Path | str, recorded: Sequence[model.Link] | None = None,
            jobs: int | None = None, reading: Callable[[], list[GitState]] | None = None) -> Snapshot:
    """`take`'s snapshot as a record (workspace/records.py): what `ws snapshot` writes."""
    manifest = load_manifest(manifest_or_root)
    paths = repo_folders(manifest)
    collect = reading or gitstate.start_all(paths, jobs or gitstate.RUNNING)
    read = [_read_files(name, path) for name, path in paths]
    results = [(state, parsed, fstates) for state, (parsed, fstates) in zip(collect(), read, strict=True)]
    orphans = _count_orphans(paths, [state for state, _, _ in results])
    repos: list[SnapshotRepo] = []
    git: list[GitState] = []
    deps: list[Dependency] = []
    files: list[FileState] = []
    diags: list[Diagnostic] = []
    for (name, path), spec, (state, parsed, fstates) in zip(paths, manifest.repos, results, strict=True):
        exists = is_dir(path) and exists_path(os.path.join(path, ".git"))
        languages = sorted({LANGUAGES[MANIFEST_FILES[f]] for f in parsed.manifests})
        frameworks = {FRAMEWORKS[d.name] for d in parsed.deps if d.name in FRAMEWORKS}
        repos.append(SnapshotRepo(name=name, path=str(path), exists=exists, manifests=parsed.manifests,
                              provides=parsed.provides, languages=languages,
                              capabilities=sorted(set(languages) | frameworks),
                              url=redact_url(spec.url), ref=spec.ref))
        git.append(state)
        deps.extend(parsed.deps)
        files.extend(fstates)
        diags.extend(parsed.diagnostics)
        if not exists:
            diags.append(Diagnostic(
                severity="warning" if spec.url else "error", repo=name, kind="missing_repo",
                message=f"{path} is not a git checkout" + (" (it can be cloned)" if spec.url else "")))
        elif state.sha and state.branch is None:
            diags.append(detached_diagnostic(name, path, state.sha, orphans[name]()))
        if state.in_progress or state.conflicts:
            diags.append(Diagnostic(severity="warning", repo=name, kind="conflict",
                                    message=f"{state.in_progress or 'merge'} in progress"
                                    + (f", {len(state.conflicts)} unmerged path(s)"
                                       if state.conflicts else "")))
    if manifest.file is not None:
        from gitorch.workspace.freeze import lock_diagnostics

        diags.extend(lock_diagnostics(manifest, git))
    links = find_links(repos, deps, list(recorded or []))
    topology = compute_topology(repos, deps, links)
    for cycle in topology.cycles:
        diags.append(Diagnostic(severity="error", repo=cycle[0], kind="cycle",
                                message="dependency cycle: " + " -> ".join(cycle)))
    return finish(Snapshot(
        id="", root=manifest.root_text, manifest=str(manifest.file) if manifest.file else None,
        repos=repos, git=git, deps=deps, links=links, files=files, topology=topology,
        diagnostics=diags,
    ))


def _count_orphans(paths: list[tuple[str, str]], states: list[GitState]) -> dict[str, Callable[[], int]]:
    """The orphaned commits of every detached HEAD, counted by git processes started at once."""
    detached = [(name, path) for (name, path), state in zip(paths, states, strict=True)
                if state.sha and state.branch is None]
    if not detached:
        return {}
    from gitorch.workspace.freeze import count_orphans

    return {name: count_orphans(path) for name, path in detached}


def detached_diagnostic(name: str, path: Path | str, sha: str, orphans: int | None = None) -> Diagnostic:
    """A detached HEAD, said aloud, with the commits only it reaches (lost if the repo moves);
    `orphans`: their number, when already counted."""
    if orphans is None:
        from gitorch.workspace.freeze import orphaned_commits

        orphans = orphaned_commits(path)
    kept = (f"; {orphans} commit(s) there are on no branch: `git branch NAME` keeps them"
            if orphans else "")
    return Diagnostic(severity="warning", repo=name, kind="detached_head",
                      message=f"HEAD is detached at {sha[:12]}{kept}")


def finish(snap: Snap) -> Snap:
    """Stamp the time and the id: a digest of the content, so equal workspaces share an id
    (a record and its model alike: records.digest hashes msgspec's canonical bytes)."""
    if isinstance(snap, Record):
        return stamp(snap, now())  # type: ignore[arg-type,return-value]
    import msgspec

    body = msgspec.structs.replace(snap, id="", generated_at="")
    return msgspec.structs.replace(snap, id="snap-" + digest(body)[:16], generated_at=now())


def find_links(repos: list[SnapshotRepo], deps: list[Dependency], recorded: list[Any]) -> list[Any]:
    """Path dependencies that point at another workspace repo; recorded links (the model's)
    keep their edit."""
    by_path = {os.path.normpath(r.path): r.name for r in repos}
    dirs = {r.name: r.path for r in repos}
    records = {(lk.key, normalise(lk.ecosystem, lk.dep)): lk for lk in recorded}
    found: dict[str, Any] = {}
    for dep in deps:
        if dep.source != "path" or not dep.path:
            continue
        target = os.path.normpath(os.path.join(dirs[dep.repo], dep.path))  # as Path(dir) / path, normalised
        provider = by_path.get(target) or _holder(by_path, target)
        if provider is None or provider == dep.repo:
            continue
        link = Link(repo=dep.repo, dep=dep.name, provider=provider, ecosystem=dep.ecosystem,
                    file=dep.file, path=dep.path)
        record = records.get((link.key, normalise(dep.ecosystem, dep.name)))
        found.setdefault(link.key, record or link)
    return [found[k] for k in sorted(found)]


def _holder(by_path: dict[str, str], target: str) -> str | None:
    """The repo whose checkout contains `target` (a monorepo member folder), if any."""
    for root, name in sorted(by_path.items(), key=lambda item: -len(item[0])):
        if target.startswith(root + os.sep):
            return name
    return None


def compute_topology(repos: list[SnapshotRepo], deps: list[Dependency], links: list[Any]) -> Topology:
    """Who depends on whom among the workspace repos, an order (providers first) and cycles."""
    providers_of = {(p.ecosystem, normalise(p.ecosystem, p.name)): r.name
                    for r in repos for p in r.provides}
    graph: dict[str, set[str]] = {r.name: set() for r in repos}
    for dep in deps:
        provider = providers_of.get((dep.ecosystem, normalise(dep.ecosystem, dep.name)))
        if provider and provider != dep.repo:
            graph[dep.repo].add(provider)
    for link in links:
        graph.setdefault(link.repo, set()).add(link.provider)
    order, cycles = order_and_cycles(graph)
    consumers: dict[str, list[str]] = {}
    for consumer, provs in graph.items():
        for p in provs:
            consumers.setdefault(p, []).append(consumer)
    return Topology(
        consumers={k: sorted(v) for k, v in sorted(consumers.items())},
        providers={k: sorted(v) for k, v in sorted(graph.items()) if v},
        order=order, cycles=cycles, cyclic=bool(cycles),
    )


def order_and_cycles(graph: dict[str, set[str]]) -> tuple[list[str], list[list[str]]]:
    """graphlib's order (dependencies first, ties by name); each cycle found is reported and
    broken by dropping one of its edges, so an order exists even for a cyclic graph."""
    edges = {k: set(v) for k, v in graph.items()}
    if not any(edges.values()):  # no repo depends on another: graphlib's order is by name alone
        return sorted(edges), []  # (graphlib and its `types` are ~1.7 M instructions to import)
    import graphlib

    cycles: list[list[str]] = []
    while True:
        sorter = graphlib.TopologicalSorter({k: sorted(v) for k, v in sorted(edges.items())})
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            found = list(exc.args[1])  # [a, b, ..., a]: each a predecessor (provider) of the next
            edges[found[1]].discard(found[0])
            ring = list(reversed(found))[:-1]  # each depends on the next
            start = ring.index(min(ring))
            cycles.append(ring[start:] + ring[:start] + [ring[start]])
            continue
        order: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            order.extend(ready)
            sorter.done(*ready)
        return order, sorted(cycles)


def would_cycle(snapshot: model.Snapshot, consumer: str, provider: str) -> list[str] | None:
    """The cycle a new edge consumer -> provider would close, or None."""
    graph = {k: set(v) for k, v in snapshot.topology.providers.items()}
    graph.setdefault(consumer, set()).add(provider)
    _, cycles = order_and_cycles(graph)
    known = {tuple(c) for c in snapshot.topology.cycles}
    new = [c for c in cycles if tuple(c) not in known]
    return new[0] if new else None
