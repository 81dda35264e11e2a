"""Repair (seed §10): a plan from the drift, applied like any other.

The desired workspace is rebuilt from the current state and the links last applied: a
link edited away by hand is made again, a repo deleted is cloned again when it has a url,
a changed branch is accepted (the links follow the manifests on it), and a conflict stops
the plan (its preconditions fail) until the user resolves it.
"""

from __future__ import annotations

from gitorch.errors import CheckFailed, WorkspaceError
from gitorch.workspace.desired import desired_from
from gitorch.workspace.manifest import LinkSpec
from gitorch.workspace.materialize import Workspace
from gitorch.workspace.model import Snapshot
from gitorch.workspace.plan import WorkspacePlan, make_plan


def repair_plan(ws: Workspace) -> WorkspacePlan:
    """The plan that brings the workspace back to the last applied state."""
    applied = ws.desired()
    if applied is None:
        raise WorkspaceError("nothing to repair: no workspace has been applied here",
                             hint="run `git orch ws apply` first")
    current = ws.current(applied)
    lost = [r.name for r in applied.repos if r.exists and not _exists(current, r.name)
            and not ws.manifest.repo(r.name).url]
    if lost:
        raise CheckFailed(f"cannot repair: {', '.join(lost)} deleted and no url to clone from",
                          hint="restore the checkout, or add its url to workspace.toml")
    present = {r.name for r in current.repos if r.exists}
    # A link to a repo being cloned again is made by the next repair, once its manifest is there.
    specs = [LinkSpec(lk.repo, lk.provider, lk.dep) for lk in applied.links
             if lk.recorded and {lk.repo, lk.provider} <= present]
    desired = desired_from(current, ws.manifest, specs)
    return make_plan(current, desired, "repair")


def _exists(snap: Snapshot, name: str) -> bool:
    info = snap.repo(name)
    return info is not None and info.exists


def finish_rollback(ws: Workspace, *, dry_run: bool = False) -> list[str] | None:
    """When a rollback failed, finish it from the recorded pre-images (None: nothing recorded);
    with `dry_run`, what it would restore."""
    record = ws.leftovers()
    if record is None:
        return None
    if dry_run:
        from gitorch.workspace.leftovers import still_left

        return [f"would restore: {line}" for line in still_left(record)] or ["nothing left to restore"]
    return ws.finish_leftovers()
