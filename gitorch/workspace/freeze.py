"""Freeze: `workspace.lock` beside the manifest records every repo's resolved commit.

`ws freeze` writes it (TOML, the same workspace always gives the same bytes: repos by name,
no times); `ws plan --frozen` / `ws apply --frozen` bring each repo to exactly those commits
through the ordinary plan (a missing commit or a dirty tree fails a precondition, so nothing
moves); the snapshot names every repo whose HEAD differs from the lock.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from gitorch.errors import Location, WorkspaceError
from gitorch.frozen import Frozen
from gitorch.gitcmd import git, git_start
from gitorch.workspace.manifest import Manifest, RepoSpec
from gitorch.workspace.records import Diagnostic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gitorch.workspace import model, records

    GitState = model.GitState | records.GitState  # a snapshot's (model) or one being taken (records)

LOCK_NAME = "workspace.lock"
LOCK_VERSION = 1
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_HEADER = "# Written by `git orch ws freeze`: the commit of every workspace repo. Commit this file.\n"


class FrozenRepo(Frozen):
    """One repo's resolved commit, and the branch and upstream it was on when frozen (a frozen
    dataclass's behaviour, gitorch/frozen.py: a snapshot with a lock loads no dataclasses)."""

    _fields = ("name", "commit", "branch", "upstream")
    name: str
    commit: str
    branch: str | None
    upstream: str | None

    def __init__(self, name: str, commit: str, branch: str | None = None,
                 upstream: str | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "commit", commit)
        set_field(self, "branch", branch)
        set_field(self, "upstream", upstream)


def lock_file(manifest: Manifest) -> Path:
    return manifest.root / LOCK_NAME


def encode_lock(entries: list[FrozenRepo]) -> bytes:
    """The lock's bytes: repos sorted by name, keys in a fixed order, nothing time-dependent."""
    import json

    out = [_HEADER, f"version = {LOCK_VERSION}\n"]
    for entry in sorted(entries, key=lambda e: e.name):
        out.append(f"\n[[repos]]\nname = {json.dumps(entry.name)}\ncommit = {json.dumps(entry.commit)}\n")
        if entry.branch:
            out.append(f"branch = {json.dumps(entry.branch)}\n")
        if entry.upstream:
            out.append(f"upstream = {json.dumps(entry.upstream)}\n")
    return "".join(out).encode("utf-8")


def read_lock(manifest: Manifest) -> dict[str, FrozenRepo] | None:
    """The lock beside the manifest (None when there is none); a bad one is a located error."""
    path = lock_file(manifest)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot parse: {exc}", where=Location(file=str(path))) from None
    version = data.get("version")
    if version != LOCK_VERSION:
        raise WorkspaceError(f"lock version {version!r} is not {LOCK_VERSION}",
                             where=Location(file=str(path), path="version"),
                             hint="a newer gitorch wrote it; upgrade" if isinstance(version, int)
                             and version > LOCK_VERSION else "freeze again with `git orch ws freeze`")
    out: dict[str, FrozenRepo] = {}
    for i, item in enumerate(data.get("repos") or []):
        where = Location(file=str(path), path=f"repos[{i}]")
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise WorkspaceError("each [[repos]] needs a `name`", where=where)
        commit = item.get("commit")
        if not isinstance(commit, str) or not _SHA.match(commit):
            raise WorkspaceError(f"repo {item['name']}: `commit` must be a full commit id", where=where)
        manifest.repo(item["name"])  # an unknown name is a located error too
        out[item["name"]] = FrozenRepo(item["name"], commit, item.get("branch"), item.get("upstream"))
    return out


def freeze(manifest: Manifest, states: Sequence[GitState]) -> tuple[bytes, list[str]]:
    """The lock's bytes for the repos as they are (`states` from a snapshot), and warnings
    (uncommitted changes are not in a lock; a repo without commits cannot be frozen)."""
    entries: list[FrozenRepo] = []
    warnings: list[str] = []
    for state in states:
        if _holds_manifest(manifest, state.repo):
            continue
        if not state.sha:
            raise WorkspaceError(f"repo {state.repo} has no commit to freeze "
                                 f"(not checked out at {manifest.path_of(state.repo)}, or empty)",
                                 where=Location(file=str(manifest.file)) if manifest.file else None)
        if state.dirty:
            warnings.append(f"{state.repo} has uncommitted changes; the lock records only {state.sha[:12]}")
        if state.branch is None:
            warnings.append(f"{state.repo} is on a detached HEAD at {state.sha[:12]}")
        entries.append(FrozenRepo(state.repo, state.sha, state.branch, state.upstream))
    return encode_lock(entries), warnings


def _holds_manifest(manifest: Manifest, name: str) -> bool:
    """The repo holding workspace.toml (and the lock) is not frozen: committing the lock moves
    its HEAD, and going back to the frozen commit would take the lock away."""
    return manifest.path_of(name) == manifest.root


def frozen_manifest(manifest: Manifest, lock: dict[str, FrozenRepo]) -> Manifest:
    """The manifest with each locked repo's `ref` set to its commit: the lock's branch when
    that branch exists and points at the commit (no detached HEAD then), else the commit."""
    where = Location(file=str(lock_file(manifest)))
    missing = [r.name for r in manifest.repos if r.name not in lock and not _holds_manifest(manifest, r.name)]
    if missing:
        raise WorkspaceError(f"{', '.join(missing)} not in the lock", where=where,
                             hint="freeze again with `git orch ws freeze`")
    specs: list[RepoSpec] = []
    for spec in manifest.repos:
        entry = lock.get(spec.name)
        if entry is not None:
            spec = spec.replace(ref=_ref_for(manifest.path_of(spec.name), entry))
        specs.append(spec)
    return manifest.replace(repos=tuple(specs))


def _ref_for(path: Path, entry: FrozenRepo) -> str:
    if entry.branch and path.is_dir():
        proc = git(["rev-parse", "--verify", "--quiet", f"refs/heads/{entry.branch}"], path, check=False)
        if proc.returncode == 0 and proc.stdout.decode().strip() == entry.commit:
            return entry.branch
    return entry.commit


def lock_diagnostics(manifest: Manifest, states: Sequence[GitState]) -> list[Diagnostic]:
    """One warning per repo whose HEAD is not the commit in workspace.lock ([] without a lock)."""
    try:
        lock = read_lock(manifest)
    except WorkspaceError as exc:
        return [Diagnostic(severity="error", repo=None, kind="bad_lock", message=str(exc))]
    if lock is None:
        return []
    out = []
    for state in states:
        if _holds_manifest(manifest, state.repo) or not state.sha:
            continue
        entry = lock.get(state.repo)
        if entry is None:
            out.append(Diagnostic(severity="warning", repo=state.repo, kind="lock_differs",
                                  message="not in workspace.lock"))
        elif state.sha != entry.commit:
            out.append(Diagnostic(severity="warning", repo=state.repo, kind="lock_differs",
                                  message=f"at {(state.sha or 'nothing')[:12]}, workspace.lock has "
                                          f"{entry.commit[:12]}"))
    return out


def orphaned_commits(path: Path | str) -> int:
    """How many commits HEAD has that no branch, tag or remote-tracking ref reaches (a
    detached HEAD's own work, lost when the repo moves away from it)."""
    return count_orphans(path)()


def count_orphans(path: Path | str) -> Callable[[], int]:
    """`orphaned_commits(path)`, started now: what returns the count (several run at once)."""
    wait = git_start(["rev-list", "--count", "HEAD", "--not", "--branches", "--tags", "--remotes"],
                     str(path), env={"GITORCH_HOOKS": "0"})

    def count() -> int:
        status, out = wait()
        return int(out.decode().strip() or 0) if status == 0 else 0

    return count


def write_lock(manifest: Manifest, states: Sequence[GitState]) -> tuple[Path, bool, list[str]]:
    """`ws freeze`: write workspace.lock for the repos as `states` (a snapshot's) say; (its
    path, whether its bytes changed, warnings)."""
    from gitorch.atomic import write_bytes

    if manifest.file is None:
        raise WorkspaceError("freezing needs a workspace.toml (the lock is written beside it)")
    data, warnings = freeze(manifest, states)
    path = lock_file(manifest)
    try:
        changed = path.read_bytes() != data
    except FileNotFoundError:
        changed = True
    if changed:
        write_bytes(path, data)
    return path, changed, warnings
