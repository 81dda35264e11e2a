"""Plans: the desired workspace, and the seed's Graft.Plan from current to desired.

A plan is data: preconditions, operations (index, type, target, params, depends_on) and the
rollback list. It holds no times or random ids, and its id is the digest of its content,
so planning twice gives the same bytes, and a plan edited by hand no longer verifies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from gitorch.errors import Location, StateConflict, WorkspaceError
from gitorch.gitcmd import git
from gitorch.workspace.deps import file_url_path, normalise
from gitorch.workspace.diff import Delta, diff, head_of, view
from gitorch.workspace.links import link_file, make_link, minimal_span, restore
from gitorch.workspace.manifest import LinkSpec, Manifest
from gitorch.workspace.model import (
    ECOSYSTEMS,
    FileState,
    GitState,
    Link,
    Snapshot,
    digest,
    encode,
)
from gitorch.workspace.snapshot import finish, would_cycle

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


# --- the desired workspace --------------------------------------------------------------

def choose_dependency(current: Snapshot, spec: LinkSpec, where: str | None) -> tuple[str, str, str]:
    """(ecosystem, name as the consumer declares it, the provider's member folder or '') for a
    link; WorkspaceError when none fits."""
    provider = current.repo(spec.provider)
    consumer = current.repo(spec.consumer)
    for side, info in (("consumer", consumer), ("provider", provider)):
        if info is None or not info.exists:
            raise WorkspaceError(f"link {spec.key}: {side} repo {getattr(info, 'name', '?')!r} "
                                 "is not checked out", where=Location(file=where))
    assert provider is not None and consumer is not None
    declared = [d for d in current.deps if d.repo == spec.consumer and d.section != "tool.uv.sources"
                and not d.section.startswith("patch.")
                and not (d.ecosystem == "go" and d.section == "replace")]
    offers = sorted(provider.provides, key=lambda p: (ECOSYSTEMS.index(p.ecosystem), p.dir))
    # First a package of that very name (in a monorepo: the member folder offering it), then
    # the repository's own package under the consumer's name for it (`dep` naming an alias).
    candidates = [(o, o.name) for o in offers] + [(o, spec.dep or o.name) for o in offers if not o.dir]
    for offer, name in candidates:
        want = normalise(offer.ecosystem, name)
        if offer.dir and normalise(offer.ecosystem, offer.name) != want:
            continue
        for dep in declared:
            if dep.ecosystem == offer.ecosystem and normalise(dep.ecosystem, dep.name) == want \
                    and (spec.dep is None or want == normalise(dep.ecosystem, spec.dep)):
                return dep.ecosystem, dep.name, offer.dir
    for diag in current.diagnostics:  # a manifest that does not parse declares nothing: say so
        if diag.kind == "unparsable_manifest" and diag.repo in (spec.consumer, spec.provider):
            raise WorkspaceError(f"link {spec.key}: cannot parse {diag.repo}/{diag.message}",
                                 where=Location(file=where, path=f"links[{spec.key}]"),
                                 hint="fix that manifest, then plan again")
    names = ", ".join(f"{p.name} ({p.ecosystem})" for p in offers) or "no package"
    raise WorkspaceError(
        f"link {spec.key}: {spec.consumer}'s manifests do not declare a dependency on "
        f"{spec.dep or names}",
        where=Location(file=where, path=f"links[{spec.key}]"),
        hint=f"{spec.provider} provides {names}; add the dependency, or set `dep` in [[links]]",
    )


def _resolve_ref(path: Path, ref: str) -> str | None:
    """`ref` as a head: the branch name when it is a local branch, else detached@<sha12>."""
    proc = git(["rev-parse", "--verify", "--quiet", f"refs/heads/{ref}"], path, check=False)
    if proc.returncode == 0:
        return ref
    proc = git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], path, check=False)
    if proc.returncode != 0:
        return None
    return "detached@" + proc.stdout.decode().strip()[:12]


def desired_from(current: Snapshot, manifest: Manifest, specs: list[LinkSpec] | None = None) -> Snapshot:
    """The workspace the manifest asks for: repos present at their refs, `specs` (default: the
    manifest's links) linked, every other link gitorch made removed, links made by hand kept."""
    where = str(manifest.file) if manifest.file else None
    wanted = list(manifest.links if specs is None else specs)
    repos = []
    for info in current.repos:
        if not info.exists and manifest.repo(info.name).url:
            info = msgspec.structs.replace(info, exists=True)
        repos.append(info)
    git_states: list[GitState] = []
    for state in current.git:
        ref = manifest.repo(state.repo).ref
        present = current.repo(state.repo)
        if ref and present is not None and present.exists:
            head = _resolve_ref(Path(present.path), ref)
            if head is None:
                raise WorkspaceError(f"repo {state.repo}: ref {ref!r} not found",
                                     where=Location(file=where, path=f"repos[{state.repo}].ref"))
            if head != head_of(state):
                branch = None if head.startswith("detached@") else head
                state = GitState(repo=state.repo, branch=branch, sha=head[9:] if branch is None else None)
        git_states.append(state)
    keys = {s.key for s in wanted}
    # Links present and not asked for: drop the ones gitorch made, keep hand-made ones.
    links = {lk.key: lk for lk in current.links if lk.key not in keys and not lk.recorded}
    files = {(f.repo, f.file): f.sha256 for f in current.files}
    pending: dict[tuple[str, str], bytes | None] = {}  # None: an overlay that will be gone
    for lk in sorted(current.links, key=lambda lk: (lk.seq, lk.key), reverse=True):
        if lk.key not in keys and lk.recorded:
            path = Path(current.repo(lk.repo).path) / lk.file  # type: ignore[union-attr]
            data = pending.get((lk.repo, lk.file)) or path.read_bytes()
            before = restore(lk, data, path)
            pending[(lk.repo, lk.file)] = None if before == b"" and not lk.hashes.before else before
    seq = max((lk.seq for lk in current.links), default=0)
    for ls in sorted(wanted, key=lambda s: s.key):
        ends = [current.repo(ls.consumer), current.repo(ls.provider)]
        if any(e is not None and not e.exists and manifest.repo(e.name).url for e in ends):
            continue  # linked by the next plan, once the clone's manifest can be read
        existing = current.link(ls.key)
        if existing is not None:
            links[ls.key] = readopt(existing, current)
            continue
        ecosystem, dep, member = choose_dependency(current, ls, where)
        cycle = would_cycle(current, ls.consumer, ls.provider)
        if cycle:
            raise WorkspaceError(f"link {ls.key} would introduce a dependency cycle: "
                                 + " -> ".join(cycle), where=Location(file=where))
        consumer_dir = Path(current.repo(ls.consumer).path)  # type: ignore[union-attr]
        provider_dir = Path(current.repo(ls.provider).path) / member  # type: ignore[union-attr]
        file = link_file(ecosystem)
        now = pending[(ls.consumer, file)] if (ls.consumer, file) in pending else _read(consumer_dir / file)
        link, new = make_link(consumer=ls.consumer, consumer_dir=consumer_dir, provider=ls.provider,
                              provider_dir=provider_dir, ecosystem=ecosystem, dep=dep, data=now)
        pending[(ls.consumer, file)] = new
        seq += 1
        links[ls.key] = msgspec.structs.replace(link, seq=seq)
    for (repo, file), result in pending.items():
        from gitorch.workspace.model import sha256

        if result is None:
            files.pop((repo, file), None)
        else:
            files[(repo, file)] = sha256(result)
    return finish(msgspec.structs.replace(
        current, repos=repos, git=git_states, links=[links[k] for k in sorted(links)],
        files=[FileState(repo=r, file=f, sha256=h) for (r, f), h in sorted(files.items())],
    ))


def _read(path: Path) -> bytes | None:
    """A file's bytes, None when it does not exist (an overlay a link will create)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def readopt(link: Link, current: Snapshot) -> Link:
    """A recorded link whose file changed around it gets a fresh record (same edit, new hashes)."""
    if not link.recorded:
        return link
    info = current.repo(link.repo)
    assert info is not None
    path = Path(info.path) / link.file
    data = path.read_bytes()
    from gitorch.workspace.model import LinkHashes, sha256

    if sha256(data) == link.hashes.after:
        return link
    try:
        before = restore(link, data, path)
    except WorkspaceError:
        return msgspec.structs.replace(link, hashes=LinkHashes(), preimage="", replacement="")
    offset, pre, rep = minimal_span(before.decode(), data.decode())
    was = "" if before == b"" and not link.hashes.before else sha256(before)  # an overlay it created
    return msgspec.structs.replace(link, hashes=LinkHashes(before=was, after=sha256(data)),
                                   preimage=pre, replacement=rep, offset=offset)


# --- the plan ---------------------------------------------------------------------------

def make_plan(current: Snapshot, desired: Snapshot, action: str = "attach") -> WorkspacePlan:
    """The seed's Graft.Plan turning `current` into `desired` (deterministic bytes)."""
    if action not in ACTIONS:
        raise WorkspaceError(f"unknown plan action {action!r} (expected {', '.join(ACTIONS)})")
    delta = diff(current, desired)
    ops: list[Operation] = []
    undo: list[Operation] = []
    pre: list[Precondition] = [Precondition(type="lock_free", target="workspace",
                                            message="no other workspace operation is running")]
    done_for: dict[str, list[int]] = {}  # repo -> operations that must come before its links
    last_on_file: dict[str, int] = {}

    def add(kind: str, target: str, params: dict[str, Any], after: list[int],
            inverse: tuple[str, dict[str, Any]]) -> int:
        index = len(ops)
        ops.append(Operation(index=index, type=kind, target=target, params=params,
                             depends_on=sorted(set(after))))
        undo.append(Operation(index=index, type=inverse[0], target=target, params=inverse[1]))
        return index

    order = {name: i for i, name in enumerate(desired.topology.order or [r.name for r in desired.repos])}
    by_order = sorted(desired.repos, key=lambda r: (order.get(r.name, len(order)), r.name))
    for info in by_order:
        was = current.repo(info.name)
        if info.exists and was is not None and not was.exists:
            pre.append(Precondition(type="repo_absent", target=info.name, expected=info.path,
                                    message=f"{info.path} does not exist yet"))
            if not info.url:
                raise WorkspaceError(f"repo {info.name} is missing at {info.path} and has no url to clone")
            i = add("clone_repo", info.name, {"url": info.url, "path": info.path, "ref": info.ref},
                    [], ("detach_repo", {"path": info.path}))
            done_for.setdefault(info.name, []).append(i)
    cur_heads = {g.repo: head_of(g) for g in current.git}
    for state in desired.git:
        head = head_of(state)
        if state.repo in cur_heads and head != cur_heads[state.repo]:
            target = desired.repo(state.repo)
            assert target is not None
            pre.append(Precondition(type="clean_tree", target=state.repo,
                                    message=f"{state.repo} has no uncommitted changes"))
            if cur_heads[state.repo] and str(cur_heads[state.repo]).startswith("detached@"):
                pre.append(Precondition(type="detached_work_kept", target=state.repo,
                                        message=f"{state.repo}'s detached HEAD has no commits "
                                                "that only it reaches"))
            i = add("checkout_ref", state.repo, {"path": target.path, "ref": target.ref, "head": head},
                    done_for.get(state.repo, []),
                    ("checkout_ref", {"path": target.path, "head": cur_heads[state.repo]}))
            done_for.setdefault(state.repo, []).append(i)
    want = {lk.key: lk for lk in desired.links}
    have = {lk.key: lk for lk in current.links}
    # Last made, first removed: each removal then finds its file exactly as its link left it.
    removals = [lk for lk in sorted(have.values(), key=lambda lk: (lk.seq, lk.key), reverse=True)
                if lk.key not in want or _link_view(want[lk.key]) != _link_view(lk)]
    for lk in removals:
        holder = current.repo(lk.repo)
        assert holder is not None
        if not lk.recorded:
            raise WorkspaceError(f"link {lk.key} was made by hand; gitorch removes only links it made")
        file_key = f"{lk.repo}/{lk.file}"
        after = [last_on_file[file_key]] if file_key in last_on_file else []
        pre.append(Precondition(type="repo_exists", target=lk.repo, message=f"{lk.repo} is checked out"))
        i = add("remove_link", lk.key, {"repo_path": holder.path, "link": msgspec.to_builtins(lk)},
                after + done_for.get(lk.repo, []),
                ("create_link", {"repo_path": holder.path, "link": msgspec.to_builtins(lk)}))
        last_on_file[file_key] = i
    for key in sorted(want):
        lk = want[key]
        if key in have and _link_view(have[key]) == _link_view(lk):
            continue
        consumer = desired.repo(lk.repo)
        provider = desired.repo(lk.provider)
        assert consumer is not None and provider is not None
        file_key = f"{lk.repo}/{lk.file}"
        pre += [
            Precondition(type="repo_exists", target=lk.repo, message=f"{lk.repo} is checked out"),
            Precondition(type="repo_exists", target=lk.provider, message=f"{lk.provider} is checked out"),
            Precondition(type="capability", target=lk.provider,
                         expected={"ecosystem": lk.ecosystem, "package": lk.dep,
                                   "dir": _provider_dir(lk, consumer.path, provider.path)},
                         message=f"{lk.provider} provides the {lk.ecosystem} package {lk.dep} "
                                 "where the link points"),
            Precondition(type="no_cycle", target=key, message=f"linking {key} closes no dependency cycle"),
        ]
        if file_key not in last_on_file:
            pre.append(Precondition(type="clean_tree", target=lk.repo,
                                    message=f"{lk.repo} has no uncommitted changes"))
            pre.append(Precondition(type="file_hash", target=file_key, expected=lk.hashes.before,
                                    message=f"{file_key} is unchanged since planning"))
        after = [last_on_file[file_key]] if file_key in last_on_file else []
        after += done_for.get(lk.repo, []) + done_for.get(lk.provider, [])
        i = add("create_link", key, {"repo_path": consumer.path, "provider_path": provider.path,
                                     "link": msgspec.to_builtins(lk)},
                after, ("remove_link", {"repo_path": consumer.path, "link": msgspec.to_builtins(lk)}))
        last_on_file[file_key] = i
    if action == "clean":
        for gone in sorted(desired.repos, key=lambda r: r.name):
            had = current.repo(gone.name)
            if had is not None and had.exists and not gone.exists:
                pre.append(Precondition(type="clean_tree", target=gone.name,
                                        message=f"{gone.name} has no uncommitted changes"))
                pre.append(Precondition(type="pushed", target=gone.name,
                                        message=f"{gone.name} has no commits its upstream lacks"))
                add("detach_repo", gone.name, {"path": had.path},
                    [op.index for op in ops if op.target.startswith(gone.name + "/")
                     or op.target.endswith("/" + gone.name)],
                    ("none", {"reason": "a removed clone cannot be restored"}))
    unique = sorted({(p.type, p.target): p for p in pre}.values(), key=lambda p: (p.type, p.target))
    plan = WorkspacePlan(id="", action=action, root=current.root, current=view(current),
                         desired=view(desired), delta=delta, preconditions=unique, operations=ops,
                         rollback=list(reversed(undo)), links=desired.links)
    return msgspec.structs.replace(plan, id=plan_id(plan))


def _provider_dir(lk: Link, consumer_path: str, provider_path: str) -> str:
    """The folder of the provider the link points at, relative to the provider ('' its root)."""
    import os

    target = file_url_path(lk.path) or lk.path.removeprefix("file:").removeprefix("link:")
    rel = os.path.relpath(os.path.normpath(Path(consumer_path) / target), provider_path)
    return "" if rel == "." else Path(rel).as_posix()


def _link_view(lk: Link) -> tuple[str, ...]:
    return (lk.dep, lk.provider, lk.ecosystem, lk.file, lk.path)


def without_links(current: Snapshot, keep: list[str] | None = None,
                  drop_repos: list[str] | None = None) -> Snapshot:
    """The desired workspace for a teardown: recorded links removed (except `keep`), the
    manifests as they were before, and `drop_repos` gone."""
    keep = keep or []
    drop = set(drop_repos or [])
    files = {(f.repo, f.file): f.sha256 for f in current.files}
    # The first link made on a file knows its original hash.
    for lk in sorted(current.links, key=lambda lk: (lk.seq, lk.key), reverse=True):
        if lk.recorded and lk.key not in keep:
            files[(lk.repo, lk.file)] = lk.hashes.before  # '' for an overlay the link created
    repos = [msgspec.structs.replace(r, exists=False) if r.name in drop else r for r in current.repos]
    links = [lk for lk in current.links if not lk.recorded or lk.key in keep]
    return finish(msgspec.structs.replace(
        current, repos=repos, links=links,
        files=[FileState(repo=r, file=f, sha256=h) for (r, f), h in sorted(files.items()) if r not in drop],
    ))
