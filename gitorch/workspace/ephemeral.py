"""Ephemeral workspaces (the seed's future direction): `ws new NAME --repos a,b --ttl 2h`.

Each repo becomes a linked `git worktree` (detached at its HEAD; a clone for a repo that
is only a url) in a temporary folder, the manifest's links among them are made there, and
a record with the expiry is kept in machine-local scratch (the folders are machine-local
too). `ws gc` removes expired ones, refusing any with uncommitted changes or new commits.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from gitorch.atomic import write_bytes
from gitorch.errors import CheckFailed, UsageError, WorkspaceError
from gitorch.events import EphemeralCreated, EphemeralRemoved
from gitorch.gitcmd import git, git_out
from gitorch.workspace.apply import execute
from gitorch.workspace.desired import desired_from
from gitorch.workspace.expiry import any_recorded, records_dir
from gitorch.workspace.manifest import Manifest, RepoSpec
from gitorch.workspace.materialize import Workspace
from gitorch.workspace.plan import make_plan
from gitorch.workspace.snapshot import take

if TYPE_CHECKING:
    from gitorch.repo import Repo
    from gitorch.store.state import StateStore

_TTL = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Member(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    path: str  # inside the ephemeral folder
    source: str  # the repo's checkout, or its url for a clone
    kind: str  # worktree | clone
    start: str  # the commit it started at
    managed: list[str] = []  # manifests the links edited


class Ephemeral(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    path: str
    members: list[Member]
    created: float
    expires_at: float

    @property
    def expires(self) -> str:
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at


def parse_ttl(text: str) -> int:
    m = _TTL.match(text.strip())
    if not m:
        raise UsageError(f"--ttl {text!r}: expected a number and a unit (s, m, h, d), e.g. 2h")
    return int(m.group(1)) * _UNITS[m.group(2)]


def _dir(repo: Repo) -> Path:
    path = records_dir(repo)
    path.mkdir(parents=True, exist_ok=True)
    return path


def list_all(repo: Repo) -> list[Ephemeral]:
    """Every ephemeral workspace made from `repo`, by name (no manifest needed)."""
    out = []
    for file in sorted(_dir(repo).glob("*.json")):
        try:
            out.append(msgspec.json.decode(file.read_bytes(), type=Ephemeral))
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue  # a torn record from a crash: its folder is still found by name
    return out


def _remove_member(member: Member) -> None:
    if member.kind == "worktree" and Path(member.source).is_dir():
        git(["worktree", "remove", "--force", member.path], member.source, check=False)
        git(["worktree", "prune"], member.source, check=False)
    if Path(member.path).exists():
        shutil.rmtree(member.path)


def create(ws: Workspace, name: str, repos: list[str], ttl: str) -> Ephemeral:
    """Make the ephemeral workspace `name` from `repos` (names in workspace.toml)."""
    if not _NAME.match(name):
        raise UsageError(f"ephemeral workspace name {name!r}: letters, digits, '.', '_', '-'")
    if (_dir(ws.repo) / f"{name}.json").exists():
        raise WorkspaceError(f"ephemeral workspace {name!r} already exists",
                             hint=f"remove it with `git orch ws gc {name}`")
    if not repos:
        raise UsageError("--repos: name at least one workspace repo")
    seconds = parse_ttl(ttl)
    specs = [ws.manifest.repo(r) for r in repos]
    folder = Path(tempfile.mkdtemp(prefix=f"gitorch-ws-{name}-"))
    members: list[Member] = []
    try:
        for spec in specs:
            src = ws.manifest.path_of(spec.name)
            dest = folder / spec.name
            if (src / ".git").exists():
                git(["worktree", "add", "--detach", "-q", str(dest), spec.ref or "HEAD"], src)
                kind, source = "worktree", str(src)
            elif spec.url:
                git(["clone", "-q", "--", spec.url, str(dest)], folder)
                if spec.ref:
                    git(["checkout", "-q", spec.ref], dest)
                kind, source = "clone", spec.url
            else:
                raise WorkspaceError(f"repo {spec.name} is not checked out at {src} and has no url")
            members.append(Member(name=spec.name, path=str(dest), source=source, kind=kind,
                                  start=git_out(["rev-parse", "HEAD"], dest)))
        managed = _link(ws.manifest, folder, repos)
        members = [msgspec.structs.replace(m, managed=managed.get(m.name, [])) for m in members]
    except BaseException:
        for member in members:
            _remove_member(member)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    now = time.time()
    record = Ephemeral(name=name, path=str(folder), members=members, created=now, expires_at=now + seconds)
    write_bytes(_dir(ws.repo) / f"{name}.json", msgspec.json.encode(record))
    ws.recorder.store.append([EphemeralCreated(name=name, repos=repos, ttl=seconds)])
    return record


def _link(manifest: Manifest, folder: Path, repos: list[str]) -> dict[str, list[str]]:
    """Make the manifest's links among `repos` inside the ephemeral folder."""
    chosen = set(repos)
    local = Manifest(root=folder, file=None, repos=tuple(RepoSpec(r, r) for r in repos),
                     links=tuple(lk for lk in manifest.links if {lk.consumer, lk.provider} <= chosen))
    if not local.links:
        return {}
    current = take(local)
    plan = make_plan(current, desired_from(current, local), "attach")
    outcome = execute(plan)
    if outcome.state != "committed":
        raise CheckFailed(f"linking the ephemeral workspace failed: {outcome.error}")
    managed: dict[str, list[str]] = {}
    for lk in plan.links:
        managed.setdefault(lk.repo, []).append(lk.file)
    return managed


def _why_keep(record: Ephemeral) -> str | None:
    for member in record.members:
        if not Path(member.path).is_dir():
            continue
        status = git(["status", "--porcelain", "-z"], member.path, check=False).stdout.decode()
        changed = [e[3:] for e in status.split("\0") if e]
        extra = [p for p in changed if p not in member.managed]
        if extra:
            return f"{member.name} has uncommitted changes ({', '.join(extra[:3])})"
        head = git(["rev-parse", "HEAD"], member.path, check=False).stdout.decode().strip()
        if head and head != member.start:
            return f"{member.name} has new commits (HEAD {head[:12]}); push or branch them first"
    return None


def gc(repo: Repo, store: StateStore | None, names: list[str],
       force: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """Remove the named ephemeral workspaces (default: every expired one), keeping those with
    uncommitted changes or new commits unless `force`; the removal is recorded in `store`."""
    records = {r.name: r for r in list_all(repo)}
    unknown = [n for n in names if n not in records]
    if unknown:
        raise WorkspaceError(f"no ephemeral workspace named {unknown[0]!r}")
    targets = [records[n] for n in names] if names else [r for r in records.values() if r.expired()]
    removed: list[str] = []
    kept: list[tuple[str, str]] = []
    for record in targets:
        why = None if force else _why_keep(record)
        if why:
            kept.append((record.name, why))
            continue
        for member in record.members:
            _remove_member(member)
        shutil.rmtree(record.path, ignore_errors=True)
        (_dir(repo) / f"{record.name}.json").unlink(missing_ok=True)
        removed.append(record.name)
    if removed and store is not None:
        store.append([EphemeralRemoved(names=removed)])
    return removed, kept


def sweep_expired(repo: Repo, store: Callable[[], StateStore]) -> list[tuple[str, str]]:
    """What every `ws` command does first (after expiry.any_recorded, which needs none of this
    module): remove expired ephemeral workspaces that hold no work; those kept (uncommitted
    changes, new commits) are returned with the reason."""
    if not any_recorded(repo) or not any(r.expired() for r in list_all(repo)):
        return []
    _removed, kept = gc(repo, store(), [])
    return kept
