"""Plans: the desired workspace, and the seed's Graft.Plan from current to desired.

A plan is data: preconditions, operations (index, type, target, params, depends_on) and the
rollback list. It holds no times or random ids, and its id is the digest of its content,
so planning twice gives the same bytes, and a plan edited by hand no longer verifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from gitorch.errors import Location, StateConflict, WorkspaceError
from gitorch.workspace.deps import file_url_path
from gitorch.workspace.diff import Delta, diff, head_of, view
from gitorch.workspace.model import (
    Link,
    Snapshot,
    digest,
    encode,
)

PLAN_SCHEMA_VERSION = 2  # upgrades from older versions: workspace/upgrade.py
ACTIONS = ("attach", "detach", "repair", "migrate", "clean")


class Precondition(msgspec.Struct, frozen=True, kw_only=True):
    # repo_exists | repo_absent | clean_tree | pushed | file_hash | lock_free | no_cycle | capability
    # | detached_work_kept
    type: str
    target: str
    expected: Any = True
    message: str = ""


class Operation(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    type: str  # clone_repo | checkout_ref | create_link | remove_link | detach_repo
    target: str
    params: dict[str, Any] = {}
    depends_on: list[int] = []


class WorkspacePlan(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    schema_version: int = PLAN_SCHEMA_VERSION
    action: str
    root: str
    current: dict[str, dict[str, Any]] = {}  # views (see diff.view) the plan was made from / for
    desired: dict[str, dict[str, Any]] = {}
    delta: Delta = Delta()
    preconditions: list[Precondition] = []
    operations: list[Operation] = []
    rollback: list[Operation] = []
    links: list[Link] = []  # every link of the desired workspace, with its edit record

    def to_bytes(self) -> bytes:
        return encode(self) + b"\n"


def plan_id(plan: WorkspacePlan) -> str:
    return "plan-" + digest(msgspec.structs.replace(plan, id=""))[:20]


def load_plan(data: bytes, where: str) -> WorkspacePlan:
    """Decode a plan file; refuse one whose content no longer matches its id (edited by hand)
    or written by a newer gitorch. An older plan is checked against its id as written, then
    upgraded (workspace/upgrade.py) and given the id of its upgraded content."""
    from gitorch.workspace.upgrade import upgrade

    try:
        raw = msgspec.json.decode(data)
        if not isinstance(raw, dict):
            raise msgspec.ValidationError("expected a JSON object")
        as_written = msgspec.convert(raw, WorkspacePlan)
        upgraded = msgspec.convert(upgrade("workspace plan", raw, where), WorkspacePlan)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WorkspaceError(f"not a workspace plan: {exc}", where=Location(file=where)) from None
    if plan_id(as_written) != as_written.id:
        raise StateConflict("plan content does not match its id (edited by hand?); refusing it",
                            where=Location(file=where), hint="make a new one with `git orch ws plan`")
    if as_written.schema_version == PLAN_SCHEMA_VERSION:
        return as_written
    return msgspec.structs.replace(upgraded, id=plan_id(upgraded))


# --- the plan ---------------------------------------------------------------------------

def make_plan(current: Snapshot, desired: Snapshot, action: str = "attach") -> WorkspacePlan:
    """The seed's Graft.Plan turning `current` into `desired` (deterministic bytes)."""
    if action not in ACTIONS:
        raise WorkspaceError(f"unknown plan action {action!r} (expected {', '.join(ACTIONS)})")
    delta = diff(current, desired)
    b = _Builder()
    b.pre.append(Precondition(type="lock_free", target="workspace",
                              message="no other workspace operation is running"))
    b.clones(current, desired)
    b.checkouts(current, desired)
    want = {lk.key: lk for lk in desired.links}
    have = {lk.key: lk for lk in current.links}
    b.removals(current, want, have)
    b.creations(desired, want, have)
    if action == "clean":
        b.detaches(current, desired)
    unique = sorted({(p.type, p.target): p for p in b.pre}.values(), key=lambda p: (p.type, p.target))
    plan = WorkspacePlan(id="", action=action, root=current.root, current=view(current),
                         desired=view(desired), delta=delta, preconditions=unique, operations=b.ops,
                         rollback=list(reversed(b.undo)), links=desired.links)
    return msgspec.structs.replace(plan, id=plan_id(plan))


@dataclass
class _Builder:
    """A plan's operations, their inverses and preconditions, added in the plan's order."""

    ops: list[Operation] = field(default_factory=list)
    undo: list[Operation] = field(default_factory=list)
    pre: list[Precondition] = field(default_factory=list)
    done_for: dict[str, list[int]] = field(default_factory=dict)  # repo -> operations before its links
    last_on_file: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, target: str, params: dict[str, Any], after: list[int],
            inverse: tuple[str, dict[str, Any]]) -> int:
        index = len(self.ops)
        self.ops.append(Operation(index=index, type=kind, target=target, params=params,
                                  depends_on=sorted(set(after))))
        self.undo.append(Operation(index=index, type=inverse[0], target=target, params=inverse[1]))
        return index

    def clones(self, current: Snapshot, desired: Snapshot) -> None:
        """Clone each repo the desired workspace has and the current one lacks, in topological order."""
        order = {name: i for i, name in enumerate(desired.topology.order or [r.name for r in desired.repos])}
        for info in sorted(desired.repos, key=lambda r: (order.get(r.name, len(order)), r.name)):
            was = current.repo(info.name)
            if info.exists and was is not None and not was.exists:
                self.pre.append(Precondition(type="repo_absent", target=info.name, expected=info.path,
                                             message=f"{info.path} does not exist yet"))
                if not info.url:
                    raise WorkspaceError(f"repo {info.name} is missing at {info.path} "
                                         "and has no url to clone")
                i = self.add("clone_repo", info.name, {"url": info.url, "path": info.path, "ref": info.ref},
                             [], ("detach_repo", {"path": info.path}))
                self.done_for.setdefault(info.name, []).append(i)

    def checkouts(self, current: Snapshot, desired: Snapshot) -> None:
        """Check out each repo whose desired head differs from its current one."""
        cur_heads = {g.repo: head_of(g) for g in current.git}
        for state in desired.git:
            head = head_of(state)
            if state.repo not in cur_heads or head == cur_heads[state.repo]:
                continue
            target = desired.repo(state.repo)
            assert target is not None
            self.pre.append(Precondition(type="clean_tree", target=state.repo,
                                         message=f"{state.repo} has no uncommitted changes"))
            if cur_heads[state.repo] and str(cur_heads[state.repo]).startswith("detached@"):
                self.pre.append(Precondition(type="detached_work_kept", target=state.repo,
                                             message=f"{state.repo}'s detached HEAD has no commits "
                                                     "that only it reaches"))
            i = self.add("checkout_ref", state.repo, {"path": target.path, "ref": target.ref, "head": head},
                         self.done_for.get(state.repo, []),
                         ("checkout_ref", {"path": target.path, "head": cur_heads[state.repo]}))
            self.done_for.setdefault(state.repo, []).append(i)

    def removals(self, current: Snapshot, want: dict[str, Link], have: dict[str, Link]) -> None:
        """Remove the links not wanted (or wanted otherwise); last made, first removed, so each
        removal finds its file exactly as its link left it."""
        removals = [lk for lk in sorted(have.values(), key=lambda lk: (lk.seq, lk.key), reverse=True)
                    if lk.key not in want or _link_view(want[lk.key]) != _link_view(lk)]
        for lk in removals:
            holder = current.repo(lk.repo)
            assert holder is not None
            if not lk.recorded:
                raise WorkspaceError(f"link {lk.key} was made by hand; gitorch removes only links it made")
            file_key = f"{lk.repo}/{lk.file}"
            after = [self.last_on_file[file_key]] if file_key in self.last_on_file else []
            self.pre.append(Precondition(type="repo_exists", target=lk.repo,
                                         message=f"{lk.repo} is checked out"))
            i = self.add("remove_link", lk.key, {"repo_path": holder.path, "link": msgspec.to_builtins(lk)},
                         after + self.done_for.get(lk.repo, []),
                         ("create_link", {"repo_path": holder.path, "link": msgspec.to_builtins(lk)}))
            self.last_on_file[file_key] = i

    def creations(self, desired: Snapshot, want: dict[str, Link], have: dict[str, Link]) -> None:
        """Create each wanted link that is not there as wanted, after its repos' operations."""
        for key in sorted(want):
            lk = want[key]
            if key in have and _link_view(have[key]) == _link_view(lk):
                continue
            consumer = desired.repo(lk.repo)
            provider = desired.repo(lk.provider)
            assert consumer is not None and provider is not None
            file_key = f"{lk.repo}/{lk.file}"
            self.pre += [
                Precondition(type="repo_exists", target=lk.repo, message=f"{lk.repo} is checked out"),
                Precondition(type="repo_exists", target=lk.provider, message=f"{lk.provider} is checked out"),
                Precondition(type="capability", target=lk.provider,
                             expected={"ecosystem": lk.ecosystem, "package": lk.dep,
                                       "dir": _provider_dir(lk, consumer.path, provider.path)},
                             message=f"{lk.provider} provides the {lk.ecosystem} package {lk.dep} "
                                     "where the link points"),
                Precondition(type="no_cycle", target=key,
                             message=f"linking {key} closes no dependency cycle"),
            ]
            if file_key not in self.last_on_file:
                self.pre.append(Precondition(type="clean_tree", target=lk.repo,
                                             message=f"{lk.repo} has no uncommitted changes"))
                self.pre.append(Precondition(type="file_hash", target=file_key, expected=lk.hashes.before,
                                             message=f"{file_key} is unchanged since planning"))
            after = [self.last_on_file[file_key]] if file_key in self.last_on_file else []
            after += self.done_for.get(lk.repo, []) + self.done_for.get(lk.provider, [])
            i = self.add("create_link", key, {"repo_path": consumer.path, "provider_path": provider.path,
                                              "link": msgspec.to_builtins(lk)},
                         after,
                         ("remove_link", {"repo_path": consumer.path, "link": msgspec.to_builtins(lk)}))
            self.last_on_file[file_key] = i

    def detaches(self, current: Snapshot, desired: Snapshot) -> None:
        """`clean`: remove the clones the desired workspace no longer has, after their links."""
        for gone in sorted(desired.repos, key=lambda r: r.name):
            had = current.repo(gone.name)
            if had is not None and had.exists and not gone.exists:
                self.pre.append(Precondition(type="clean_tree", target=gone.name,
                                             message=f"{gone.name} has no uncommitted changes"))
                self.pre.append(Precondition(type="pushed", target=gone.name,
                                             message=f"{gone.name} has no commits its upstream lacks"))
                self.add("detach_repo", gone.name, {"path": had.path},
                         [op.index for op in self.ops if op.target.startswith(gone.name + "/")
                          or op.target.endswith("/" + gone.name)],
                         ("none", {"reason": "a removed clone cannot be restored"}))


def _provider_dir(lk: Link, consumer_path: str, provider_path: str) -> str:
    """The folder of the provider the link points at, relative to the provider ('' its root)."""
    import os

    target = file_url_path(lk.path) or lk.path.removeprefix("file:").removeprefix("link:")
    rel = os.path.relpath(os.path.normpath(Path(consumer_path) / target), provider_path)
    return "" if rel == "." else Path(rel).as_posix()


def _link_view(lk: Link) -> tuple[str, ...]:
    return (lk.dep, lk.provider, lk.ecosystem, lk.file, lk.path)
