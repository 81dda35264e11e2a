"""Teardown (seed §11): undo the workspace and check the result against the base snapshot.

detach:   remove every link gitorch made (each manifest gets its exact original bytes back)
clean:    detach, and remove the repos gitorch cloned (absent from the base snapshot)
preserve: keep everything on disk; only stop tracking the workspace
Uncommitted changes (other than gitorch's own link edits) refuse a teardown unless --force.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from gitorch.errors import CheckFailed, WorkspaceError
from gitorch.workspace.apply import managed_files
from gitorch.workspace.desired import without_links
from gitorch.workspace.diff import Delta, diff_views, view
from gitorch.workspace.materialize import Workspace, materialize
from gitorch.workspace.model import Snapshot
from gitorch.workspace.plan import make_plan
from gitorch.workspace.record import BASE, DESIRED
from gitorch.workspace.snapshot import take

MODES = ("detach", "clean", "preserve")


def _dirty(current: Snapshot) -> list[str]:
    out = []
    for state in current.git:
        extra = [p for p in state.changed if p not in managed_files(current, state.repo)]
        if extra:
            out.append(f"{state.repo}: {', '.join(extra[:3])}" + (" …" if len(extra) > 3 else ""))
    return out


def compare_with_base(base: Snapshot, after: Snapshot, kept: Collection[str] = ()) -> Delta:
    """What differs from the base snapshot: repos present, links, manifest bytes, git heads.

    A repo absent in both is no difference, even when the manifest listed it only on one side
    (a repo added to or dropped from workspace.toml without ever being cloned); nor are the
    repos in `kept` (clones that `detach` keeps on purpose)."""
    a, b = view(base), view(after)
    for v in (a, b):
        v["repos"] = {name: r for name, r in v["repos"].items() if r["exists"] and name not in kept}
        v["git"] = {name: g for name, g in v["git"].items() if name not in kept}
        v["files"] = {key: h for key, h in v["files"].items() if key.split("/", 1)[0] not in kept}
    return diff_views(a, b)


def verify_consumers(current: Snapshot, command: str) -> None:
    """Run `command` in each repo holding a link gitorch made, before unlinking (the seed's
    teardown checks first); CheckFailed with its output when it fails there."""
    from gitorch.workspace.toolrun import run_tool

    for repo in sorted({lk.repo for lk in current.links if lk.recorded}):
        info = current.repo(repo)
        if info is None or not info.exists:
            continue
        res = run_tool(["sh", "-c", command], Path(info.path), timeout=None)
        if not res.ok:
            tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-20:])
            raise CheckFailed(f"teardown stopped before changing anything: `{command}` failed in "
                              f"{repo} ({res.error or f'exit {res.returncode}'})"
                              + (f":\n{tail}" if tail else ""),
                              hint="fix it and tear down again, or `--force` to skip the check")


def teardown(ws: Workspace, mode: str, *, force: bool = False, dry_run: bool = False,
             verify: str | None = None) -> dict[str, Any]:
    """Tear the workspace down; returns what was done and whether it matches the base
    (`verify`, default the manifest's teardown.verify: run in each consumer first, unless `force`)."""
    if mode not in MODES:
        raise WorkspaceError(f"unknown teardown mode {mode!r} (expected {', '.join(MODES)})")
    rec = ws.recorder
    # A failed rollback's leftovers come back from their pre-images first.
    restored = ws.finish_leftovers() if not dry_run and ws.leftovers() is not None else []
    applied = rec.desired()
    # An apply killed while executing left links behind (adopted by `ws.current`): undo them too.
    if applied is None and ws.interrupted() is None:
        if restored:
            return {"mode": mode, "plan": None, "restored": restored, "verified": True,
                    "differences": [], "dry_run": dry_run}
        raise WorkspaceError("nothing to tear down: no workspace has been applied here")
    base = rec.base()
    current = ws.current(applied)
    dirty = _dirty(current)
    if dirty and not force:
        raise CheckFailed("uncommitted changes; commit or stash them, or use --force:\n  "
                          + "\n  ".join(dirty))
    command = verify or ws.manifest.teardown_verify
    if command and not force and mode != "preserve":
        verify_consumers(current, command)
    forget: dict[str, bytes | None] = {DESIRED: None, BASE: None}
    if mode == "preserve":
        if not dry_run:
            rec.transition("teardown-preserve", "committed", detail="preserve: kept as-is", files=forget)
            rec.cache_desired(None)
        return {"mode": mode, "plan": None, "verified": True, "differences": [], "dry_run": dry_run}
    cloned: list[str] = []  # repos present now that the base did not have: gitorch cloned them
    if base is not None:
        had = {r.name for r in base.repos if r.exists}
        cloned = [r.name for r in current.repos if r.exists and r.name not in had]
    drop = cloned if mode == "clean" else []
    target = without_links(current, drop_repos=drop)
    plan = make_plan(current, target, "clean" if mode == "clean" else "detach")
    outcome = materialize(ws, plan, dry_run=dry_run, force=force, commit_files=lambda _after: dict(forget))
    result: dict[str, Any] = {"mode": mode, "plan": plan.id, "state": outcome.state, "dry_run": dry_run,
                              "operations": len(plan.operations), "removed_repos": drop}
    if dry_run:
        return result
    after = take(ws.manifest)
    delta = compare_with_base(base, after, kept=cloned if mode == "detach" else ()) \
        if base is not None else Delta()
    result["verified"] = delta.empty
    result["differences"] = ["/".join(c.path) for c in delta.added + delta.removed + delta.changed]
    return result
