"""Sharing state between clones: merge as a union, push with compare-and-swap.

`git orch sync [REMOTE]` fetches the remote's state branch and notes into
`refs/orch/remotes/<remote>/{state,notes}`, merges them into the local ones (event
segments are immutable and uniquely named, so the merge is a plain union; notes on one
commit merge line by line; run summaries keep the earliest start and latest end), then
pushes with `--force-with-lease` set to what it fetched, so a clone that pushed in the
meantime makes this push fail and the whole round is retried on the new remote state.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from gitorch.errors import GitError, StateConflict, UsageError
from gitorch.gitcmd import git
from gitorch.store import layout, runindex
from gitorch.store.backend import Backend
from gitorch.store.notes import all_notes, merge_text
from gitorch.store.state import StateStore
from gitorch.store.statebranch import (
    Changes,
    check_not_checked_out,
    check_ref_free,
    clear_stale_ref_lock,
    put_tree,
)
from gitorch.store.summary import merge_runs, render_readme

ATTEMPTS = 10


@dataclass
class MergeResult:
    """What a merge of another copy of the state did."""

    state: str = "up to date"  # up to date | fast-forward | merged | created
    notes: str = "up to date"
    added: int = 0  # files the other side brought
    conflicts: list[str] = field(default_factory=list)  # files both changed; ours kept


@dataclass
class SyncResult:
    remote: str
    merge: MergeResult
    pushed: bool
    attempts: int
    runs_fetched: int = 0  # runs the remote had and this clone did not
    runs_pushed: int = 0  # runs this clone gave the remote


def _runs(backend: Backend, commit: str | None) -> set[str]:
    """The runs recorded in a state commit (the names under runs/)."""
    if commit is None:
        return set()
    entry = backend.tree_entry(backend.read_commit(commit).tree, layout.RUNS)
    return {e.name for e in backend.read_tree(entry.oid)} if entry is not None and entry.is_tree else set()


def _blobs(backend: Backend, tree: str | None) -> dict[str, str]:
    return {path: e.oid for path, e in backend.walk(tree)} if tree else {}


def merge_state(store: StateStore, theirs: str | None) -> MergeResult:
    """Merge the state branch commit `theirs` into the local state branch (never clobbers)."""
    result = MergeResult()
    if theirs is None:
        return result
    backend, state = store.backend, store.state
    their_tree = backend.read_commit(theirs).tree
    their_marker = state.check_marker(their_tree)  # a newer remote is refused, not merged down
    with store._write_lock():
        ours = state.tip()
        if ours is None or backend.is_ancestor(ours, theirs):
            if ours == theirs:
                return result
            clear_stale_ref_lock(store.repo.common_dir, store.ref)
            check_not_checked_out(store.repo.common_dir, store.ref)
            if ours is None:
                check_ref_free(store.repo.common_dir, store.ref)
            if not backend.update_ref(store.ref, theirs, ours, "orch: sync fast-forward"):
                raise StateConflict(f"{store.ref} moved during the sync; run it again")
            result.state = "created" if ours is None else "fast-forward"
            return result
        if backend.is_ancestor(theirs, ours):
            return result

        sealed_as: layout.Seal | None = None  # the merged run index's seal (None: unsealed)

        def build(tree: str | None) -> Changes:
            nonlocal sealed_as
            mine, other = _blobs(backend, tree), _blobs(backend, their_tree)
            changes: Changes = {}
            result.added, result.conflicts = 0, []
            for path, oid in other.items():
                if path not in mine:
                    changes[path] = oid
                    result.added += 1
                elif mine[path] != oid and path not in (layout.README, layout.MARKER, layout.INDEX,
                                                              layout.RECENT):
                    if path.startswith(layout.RUNS + "/"):
                        merged = _merge_run(backend, mine[path], oid)
                        if merged is not None:
                            changes[path] = backend.write_blob(msgspec.json.encode(merged) + b"\n")
                            continue
                    result.conflicts.append(path)
            # The README of the merged tree (so a later flush finds nothing to redo).
            merged_tree = put_tree(backend, tree, changes)
            readme = render_readme(backend, merged_tree, {}, store.branch)
            changes[layout.README] = backend.write_blob(readme)
            sealed_as = _merged_seal(backend, tree, their_tree, merged_tree, result.conflicts)
            return changes

        def seal(trees: Mapping[str, str]) -> Changes:
            # both indexes held and every summary merged: the union indexes the union
            if sealed_as is None:
                return {layout.INDEX: None, layout.RECENT: None}
            return runindex.seal_changes(backend, trees, sealed_as)

        # the merge holds what their marker speaks of (tasks_skipped events): it says as much
        state.update(build, f"orch: merge state from {theirs[:12]}", extra_parents=[theirs], seal=seal,
                     schema=their_marker.schema_version)
        result.state = "merged"
    return result


def _merged_seal(backend: Backend, ours: str | None, theirs: str, merged: str | None,
                 conflicts: list[str]) -> layout.Seal | None:
    """The seal of the merged run index, or None when it cannot be sealed (either side's
    seal did not hold, or a run summary conflicted: the next write rebuilds it)."""
    mine, other = runindex.read_seal(backend, ours), runindex.read_seal(backend, theirs)
    if mine is None or other is None or any(p.startswith(layout.RUNS + "/") for p in conflicts):
        return None
    base = layout.Seal(loose=sorted(set(mine.loose) | set(other.loose)), exact=mine.exact and other.exact,
                       lasts={}, readme=[])
    return runindex.sealed(base, runindex.all_summaries(backend, merged).values())


def _merge_run(backend: Backend, a: str, b: str) -> layout.RunSummary | None:
    try:
        one = msgspec.json.decode(backend.read_blob(a), type=layout.RunSummary)
        two = msgspec.json.decode(backend.read_blob(b), type=layout.RunSummary)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return merge_runs(one, two)


def merge_notes(store: StateStore, theirs: str | None) -> str:
    """Merge the notes commit `theirs` into the local notes ref: union, lines merged."""
    if theirs is None:
        return "up to date"
    backend, ref = store.backend, store.notes_ref
    with store.lock("notes"):
        for _ in range(ATTEMPTS):
            ours = backend.read_ref(ref)
            if ours == theirs or (ours and backend.is_ancestor(theirs, ours)):
                return "up to date"
            if ours is None or backend.is_ancestor(ours, theirs):
                if backend.update_ref(ref, theirs, ours, "orch: notes fast-forward"):
                    return "fast-forward"
                continue
            our_tree = backend.read_commit(ours).tree
            mine = all_notes(backend, our_tree)
            other = all_notes(backend, backend.read_commit(theirs).tree)
            changes: dict[str, str | None] = {}
            for commit, (_path, oid) in other.items():
                if commit not in mine:
                    changes[commit] = oid
                elif mine[commit][1] != oid:
                    text = merge_text(
                        backend.read_blob(mine[commit][1]).decode(errors="replace"),
                        backend.read_blob(oid).decode(errors="replace"),
                        sort=True,
                    )
                    if mine[commit][0] != commit:
                        changes[mine[commit][0]] = None
                    changes[commit] = backend.write_blob(text.encode())
            tree = put_tree(backend, our_tree, changes) or backend.write_tree([])
            new = backend.write_commit(tree, [ours, theirs], "Notes merged by 'git orch sync'")
            if backend.update_ref(ref, new, ours, "orch: notes merge"):
                return "merged"
            time.sleep(random.uniform(0, 0.05))
    raise StateConflict(f"could not update {ref}: it kept moving")


def _remote_refs(store: StateStore, remote: str) -> dict[str, str]:
    proc = git(["ls-remote", remote, store.ref, store.notes_ref], store.repo.cwd, check=False)
    if proc.returncode != 0:
        raise GitError(
            f"cannot reach remote '{remote}': {proc.stderr.decode(errors='replace').strip()}"
        )
    refs: dict[str, str] = {}
    for line in proc.stdout.decode().splitlines():
        oid, _, name = line.partition("\t")
        refs[name] = oid
    return refs


def check_remote(store: StateStore, remote: str | None) -> str:
    """The remote to sync with: the one named, else the only one, else `origin`."""
    names = git(["remote"], store.repo.cwd).stdout.decode().split()
    if remote is None:
        if not names:
            raise UsageError(
                "no remote to sync with: this repository has no remotes",
                hint="add one with `git remote add origin URL`, then run `git orch sync`",
            )
        remote = names[0] if len(names) == 1 else ("origin" if "origin" in names else None)
        if remote is None:
            raise UsageError(f"several remotes ({', '.join(names)}); name one: git orch sync REMOTE")
    elif remote not in names:
        raise UsageError(
            f"no remote named '{remote}'" + (f" (remotes: {', '.join(names)})" if names else ""),
            hint="add it with `git remote add NAME URL`",
        )
    return remote


def tracking_refs(remote: str) -> tuple[str, str]:
    return f"refs/orch/remotes/{remote}/state", f"refs/orch/remotes/{remote}/notes"


def sync(store: StateStore, remote: str | None = None, *, push: bool = True) -> SyncResult:
    """Fetch, merge (union) and push the state branch and notes, retrying on races."""
    name = check_remote(store, remote)
    store.flush()
    state_track, notes_track = tracking_refs(name)
    for attempt in range(1, ATTEMPTS + 1):
        seen = _remote_refs(store, name)
        specs = []
        if store.ref in seen:
            specs.append(f"+{store.ref}:{state_track}")
        if store.notes_ref in seen:
            specs.append(f"+{store.notes_ref}:{notes_track}")
        if specs:
            git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", name, *specs], store.repo.cwd)
        ours, theirs = _runs(store.backend, store.tip()), _runs(store.backend, seen.get(store.ref))
        merged = merge_state(store, seen.get(store.ref))
        merged.notes = merge_notes(store, seen.get(store.notes_ref))
        if not push:
            return SyncResult(name, merged, False, attempt, len(theirs - ours))
        pushed = _push(store, name, seen)
        if pushed is not None:
            return SyncResult(name, merged, pushed, attempt, len(theirs - ours),
                              len(ours - theirs) if pushed else 0)
        time.sleep(random.uniform(0.05, 0.3) * attempt)  # another clone pushed first
    raise StateConflict(
        f"could not push state to '{name}': other clones kept pushing first ({ATTEMPTS} tries)",
        hint="run `git orch sync` again",
    )


def _push(store: StateStore, remote: str, seen: Mapping[str, str]) -> bool | None:
    """Push what differs, leased on what was fetched: True when pushed, False when there
    was nothing to push, None when the remote moved meanwhile (fetch and merge again)."""
    refspecs, leases = [], []
    for ref in (store.ref, store.notes_ref):
        local = store.backend.read_ref(ref)
        if local is None or local == seen.get(ref):
            continue
        refspecs.append(f"{local}:{ref}")
        leases.append(f"--force-with-lease={ref}:{seen.get(ref, '')}")
    if not refspecs:
        return False
    atomic = ["--atomic"]
    while True:
        proc = git(["push", "--quiet", "--porcelain", *atomic, *leases, remote, *refspecs],
                   store.repo.cwd, check=False)
        if proc.returncode == 0:
            return True
        text = (proc.stdout + proc.stderr).decode(errors="replace")
        if atomic and "does not support --atomic" in text:
            atomic = []  # each ref is still leased; a partial push is merged next round
            continue
        break
    if any(s in text for s in ("stale info", "rejected", "fetch first", "atomic push failed")):
        return None
    raise GitError(f"git push to '{remote}' failed: {text.strip()}")
