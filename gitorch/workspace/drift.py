"""Observation (seed §9): a new snapshot compared with the last applied desired state,
drift named by the seed's kinds and recorded as an `observed` event (`git orch ws observe`).
The hooks use the lighter `observe.quick_drift`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from gitorch.workspace.effective import LinkEffect
from gitorch.workspace.materialize import Workspace
from gitorch.workspace.model import Snapshot


@dataclass(frozen=True)
class DriftFinding:
    kind: str  # file_modified | repo_deleted | branch_changed | conflict | link_broken | interrupted
    # | not_effective | leftover
    repo: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "repo": self.repo, "message": self.message}


def findings(desired: Snapshot, current: Snapshot) -> list[DriftFinding]:
    """Drift between the applied desired state and now, by the seed's kinds."""
    from gitorch.workspace.diff import head_of as head_str

    out: list[DriftFinding] = []
    now_repos = {r.name: r for r in current.repos}
    for want in desired.repos:
        have = now_repos.get(want.name)
        if want.exists and (have is None or not have.exists):
            out.append(DriftFinding("repo_deleted", want.name, f"{want.name} is gone from {want.path}"))
    now_git = {g.repo: g for g in current.git}
    for want_git in desired.git:
        have_git = now_git.get(want_git.repo)
        info = now_repos.get(want_git.repo)
        if have_git is None or info is None or not info.exists:
            continue
        if want_git.sha and head_str(want_git) != head_str(have_git):
            out.append(DriftFinding("branch_changed", want_git.repo,
                               f"{want_git.repo} is on {head_str(have_git)}, the workspace has "
                               f"{head_str(want_git)}"))
        if have_git.in_progress or have_git.conflicts:
            out.append(DriftFinding("conflict", want_git.repo,
                               f"{want_git.repo}: {have_git.in_progress or 'merge'} in progress"
                               + (f", unmerged: {', '.join(have_git.conflicts)}"
                                  if have_git.conflicts else "")))
    now_files = {(f.repo, f.file): f.sha256 for f in current.files}
    want_files = {(f.repo, f.file): f.sha256 for f in desired.files}
    now_links = {lk.key: lk for lk in current.links}
    for link in desired.links:
        present = now_links.get(link.key)
        provider = now_repos.get(link.provider)
        if present is None or present.path != link.path:
            out.append(DriftFinding("link_broken", link.repo,
                               f"link {link.key} ({link.dep}) no longer points at {link.path}"))
        elif provider is None or not provider.exists:
            out.append(DriftFinding("link_broken", link.repo, f"link {link.key}: {link.provider} is gone"))
        want_hash = want_files.get((link.repo, link.file))
        if want_hash and now_files.get((link.repo, link.file)) != want_hash:
            out.append(DriftFinding("file_modified", link.repo,
                               f"{link.repo}/{link.file} changed since the workspace was applied"))
    return sorted(set(out), key=lambda f: (f.repo, f.kind, f.message))


class Observation(msgspec.Struct, frozen=True, kw_only=True):
    """What `ws observe` saw: drift findings, the snapshot taken, and each link's effect."""

    findings: list[DriftFinding]
    snapshot: Snapshot
    effects: list[LinkEffect] = []

    @property
    def drift(self) -> bool:
        return bool(self.findings)


def observe(ws: Workspace, trigger: str = "manual", record: bool = True) -> Observation:
    """Full observation: a new snapshot against the last applied state, and every applied link
    checked with its ecosystem's resolver ("applied but not effective" is a finding);
    recorded as an event."""
    from gitorch.events import Observed
    from gitorch.workspace.effective import check_links

    desired = ws.desired()
    current = ws.current(desired)
    found = findings(desired, current) if desired is not None else []
    dead = ws.interrupted()
    if dead is not None:  # links of a killed apply are on disk but in no desired state
        found.insert(0, DriftFinding("interrupted", "", f"an apply of {dead.id} was interrupted; "
                                     "`git orch ws apply` finishes it, `git orch ws teardown` undoes it"))
    left = ws.leftovers()
    if left is not None:
        from gitorch.workspace.leftovers import still_left

        found[:0] = [DriftFinding("leftover", "", f"{line}: a rollback failed; `git orch ws repair` "
                                  "finishes it, `git orch ws teardown` restores it")
                     for line in still_left(left)]
    applied = {lk.key for lk in desired.links} if desired is not None else set()
    effects = check_links(msgspec.structs.replace(
        current, links=[lk for lk in current.links if lk.key in applied]))
    found += [DriftFinding("not_effective", e.key.split("/", 1)[0], e.describe())
              for e in effects if e.state == "not_effective"]
    if record and (desired is not None or dead is not None or left is not None):
        ws.recorder.store.append(
            [Observed(trigger=trigger, drift=bool(found),
                      findings=[f"{f.kind}: {f.message}" for f in found])],
            message=f"workspace: observed ({len(found)} finding(s))")
    return Observation(findings=found, snapshot=current, effects=effects)
