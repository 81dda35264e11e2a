"""`ws status`: one line of facts per repo (head, detached, dirty, ahead/behind, lock), and
`ws gate`: whether every repo is ready for CI or a release."""

from __future__ import annotations

from pathlib import Path

import msgspec

from gitorch.workspace.manifest import Manifest
from gitorch.workspace.model import Snapshot


class RepoStatus(msgspec.Struct, frozen=True, kw_only=True):
    repo: str
    exists: bool
    branch: str | None = None  # None: detached (or missing)
    commit: str | None = None
    detached: str = ""  # what a detached HEAD means here, '' when on a branch
    dirty: int = 0  # changed paths
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    lock: str = ""  # how HEAD differs from workspace.lock, '' when it matches or there is none
    links: list[str] = []  # active links in this repo (consumer side)


def statuses(snap: Snapshot) -> list[RepoStatus]:
    """Every repo's status, from one snapshot (its diagnostics carry detached and lock facts)."""
    said = {(d.repo, d.kind): d.message for d in snap.diagnostics}
    out = []
    for info in snap.repos:
        g = snap.git_of(info.name)
        if g is None or not info.exists:
            out.append(RepoStatus(repo=info.name, exists=False))
            continue
        out.append(RepoStatus(
            repo=info.name, exists=True, branch=g.branch, commit=g.sha,
            detached=said.get((info.name, "detached_head"), ""), dirty=g.changed_total,
            upstream=g.upstream, ahead=g.ahead, behind=g.behind,
            lock=said.get((info.name, "lock_differs"), ""),
            links=sorted(lk.key for lk in snap.links if lk.repo == info.name)))
    return out


def freeze_workspace(manifest: Manifest) -> tuple[Path, bool, list[str]]:
    """`ws freeze`: workspace.lock for the repos as they are now (path, changed, warnings)."""
    from gitorch.workspace.freeze import write_lock
    from gitorch.workspace.snapshot import take

    return write_lock(manifest, take(manifest).git)


def workspace_status(manifest: Manifest) -> list[RepoStatus]:
    from gitorch.workspace.snapshot import take

    return statuses(take(manifest))


def describe(s: RepoStatus) -> str:
    """One human line."""
    if not s.exists:
        return f"{s.repo:<16} MISSING"
    head = s.branch or f"DETACHED {(s.commit or '')[:12]}"
    parts = [f"{s.repo:<16} {head:<20}"]
    if s.dirty:
        parts.append(f"dirty ({s.dirty})")
    if s.ahead or s.behind:
        parts.append(f"ahead {s.ahead}, behind {s.behind} ({s.upstream})")
    elif s.branch and not s.upstream:
        parts.append("no upstream")
    if s.detached:
        parts.append(s.detached)
    if s.lock:
        parts.append(f"lock: {s.lock}")
    if s.links:
        parts.append("linked: " + ", ".join(s.links))
    return "  ".join(parts).rstrip()


def gate_failures(manifest: Manifest) -> list[str]:
    """Why the workspace is not ready for CI or a release: every repo must be checked out,
    clean, on a branch, pushed to its upstream, and carry no active link ([]: ready)."""
    from gitorch.workspace.linkguard import active_links
    from gitorch.workspace.snapshot import take

    snap = take(manifest)
    out: list[str] = []
    for s in statuses(snap):
        if not s.exists:
            out.append(f"{s.repo}: not checked out")
            continue
        if s.dirty:
            out.append(f"{s.repo}: {s.dirty} uncommitted change(s)")
        if s.branch is None:
            out.append(f"{s.repo}: detached HEAD at {(s.commit or '')[:12]}, not on a branch")
        elif not s.upstream:
            out.append(f"{s.repo}: branch {s.branch} has no upstream (never pushed)")
        elif s.ahead:
            out.append(f"{s.repo}: {s.ahead} commit(s) not pushed to {s.upstream}")
        info = snap.repo(s.repo)
        path = Path(info.path) if info is not None else manifest.path_of(s.repo)
        out += [f"{s.repo}: active link {lk.describe()}" for lk in active_links(path)]
    return out
