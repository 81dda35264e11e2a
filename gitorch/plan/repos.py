"""`repo:` names of a plan checked against the workspace manifest beside it (workspace.toml).

Without a manifest the names are not checked here (a run reports what it cannot resolve).
The manifest is part of what the plan means, so the plan cache records it like an include.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from gitorch.errors import WorkspaceError
from gitorch.plan import cache
from gitorch.plan.model import Plan
from gitorch.plan.validate import PlanIssue, is_id

MANIFEST_NAME = "workspace.toml"  # as gitorch.workspace.manifest names it


class RepoCheck(msgspec.Struct):
    """Problems with `repo:` names, and what the answer depends on (for the plan cache)."""

    issues: list[PlanIssue] = msgspec.field(default_factory=list)
    globs: list[cache.GlobUse] = msgspec.field(default_factory=list)
    files: list[tuple[str, str]] = msgspec.field(default_factory=list)  # (path, sha256)


def check_repos(base: Path, plan: Plan) -> RepoCheck:
    """Tasks whose `repo:` the manifest at `base` does not list (a bad name is reported elsewhere)."""
    used = [(i, t.repo) for i, t in enumerate(plan.tasks) if t.repo]
    out = RepoCheck()
    if not used:
        return out
    file = base / MANIFEST_NAME
    present = file.is_file()
    out.globs.append(cache.GlobUse(str(base), MANIFEST_NAME, [str(file)] if present else []))
    if not present:
        return out
    # the manifest reader is a stdlib-only leaf module (the hook path imports it too)
    from gitorch.workspace.manifest import load

    try:
        out.files.append((str(file), cache.file_hash(file.read_bytes())))
        names = [r.name for r in load(base).repos]
    except (OSError, WorkspaceError) as exc:
        why = exc.message if isinstance(exc, WorkspaceError) else exc.strerror
        out.issues = [PlanIssue(("tasks", i, "repo"), f"cannot check repo {name!r}: {why}")
                      for i, name in used]
        return out
    hint = f"repos in {MANIFEST_NAME}: " + ", ".join(names)
    out.issues = [PlanIssue(("tasks", i, "repo"), f"unknown workspace repo {name!r}", hint)
                  for i, name in used if name not in names and is_id(name)]
    return out
