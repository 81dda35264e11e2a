"""The desired workspace: what a manifest (or a teardown) asks for, as a Snapshot that
workspace/plan.py turns into operations.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from gitorch.errors import Location, WorkspaceError
from gitorch.gitcmd import git
from gitorch.workspace.deps import normalise
from gitorch.workspace.diff import head_of
from gitorch.workspace.links import link_file, make_link, minimal_span, restore
from gitorch.workspace.manifest import LinkSpec, Manifest
from gitorch.workspace.model import ECOSYSTEMS, FileState, GitState, Link, LinkHashes, Snapshot, sha256
from gitorch.workspace.snapshot import finish, would_cycle


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
    git_states = _git_at_refs(current, manifest, where)
    repos = [msgspec.structs.replace(info, exists=True)
             if not info.exists and manifest.repo(info.name).url else info for info in current.repos]
    keys = {s.key for s in wanted}
    # Links present and not asked for: drop the ones gitorch made, keep hand-made ones.
    links = {lk.key: lk for lk in current.links if lk.key not in keys and not lk.recorded}
    pending = _undo_unwanted(current, keys)
    links.update(_wanted_links(current, manifest, wanted, pending, where))
    files = {(f.repo, f.file): f.sha256 for f in current.files}
    for (repo, file), result in pending.items():
        if result is None:
            files.pop((repo, file), None)
        else:
            files[(repo, file)] = sha256(result)
    return finish(msgspec.structs.replace(
        current, repos=repos, git=git_states, links=[links[k] for k in sorted(links)],
        files=[FileState(repo=r, file=f, sha256=h) for (r, f), h in sorted(files.items())],
    ))


def _git_at_refs(current: Snapshot, manifest: Manifest, where: str | None) -> list[GitState]:
    """Each repo's git state, at the manifest's `ref` where it names one."""
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
    return git_states


def _undo_unwanted(current: Snapshot, keys: set[str]) -> dict[tuple[str, str], bytes | None]:
    """The bytes of each file once the recorded links not in `keys` are undone, last made
    first (None: an overlay that will be gone)."""
    pending: dict[tuple[str, str], bytes | None] = {}
    for lk in sorted(current.links, key=lambda lk: (lk.seq, lk.key), reverse=True):
        if lk.key not in keys and lk.recorded:
            path = Path(current.repo(lk.repo).path) / lk.file  # type: ignore[union-attr]
            data = pending.get((lk.repo, lk.file)) or path.read_bytes()
            before = restore(lk, data, path)
            pending[(lk.repo, lk.file)] = None if before == b"" and not lk.hashes.before else before
    return pending


def _wanted_links(current: Snapshot, manifest: Manifest, wanted: list[LinkSpec],
                  pending: dict[tuple[str, str], bytes | None], where: str | None) -> dict[str, Link]:
    """The links `wanted` asks for, kept or made (each edit applied to `pending`'s bytes)."""
    links: dict[str, Link] = {}
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
    return links


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
