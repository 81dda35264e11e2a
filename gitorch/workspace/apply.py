"""Verify and execute a plan (the seed's sections 7 and 8).

Execution holds the workspace lock, rechecks every precondition against a fresh snapshot,
runs operations in dependency order, writes every file through temp file + fsync + rename,
and on any failure undoes the operations done so far, last first. If undoing fails too it
stops and reports exactly what is left. `GITORCH_FAULT=apply:N` (tests only) makes operation
N fail as a real I/O error would; `rollback:N` does the same while undoing N; `crash:N` kills
the process before operation N (comma-separate several, e.g. `apply:3,rollback:1`).
"""

from __future__ import annotations

import errno
import graphlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from gitorch.atomic import write_bytes
from gitorch.errors import WorkspaceError
from gitorch.gitcmd import git
from gitorch.workspace.deps import normalise
from gitorch.workspace.freeze import orphaned_commits
from gitorch.workspace.links import redo, restore
from gitorch.workspace.model import Link, Snapshot, sha256
from gitorch.workspace.plan import Operation, Precondition, WorkspacePlan
from gitorch.workspace.snapshot import would_cycle

FAULT_ENV = "GITORCH_FAULT"


def _fault(stage: str, index: int) -> None:
    """Raise the injected I/O error for operation `index` at `stage` (apply | rollback);
    at stage `crash`, end the process at once, as SIGKILL would (no cleanup at all)."""
    if f"{stage}:{index}" not in os.environ.get(FAULT_ENV, "").split(","):
        return
    if stage == "crash":
        os._exit(137)
    raise OSError(errno.EIO, f"injected fault ({FAULT_ENV}={stage}:{index})")


_current: list[tuple[str, int]] = []  # the (stage, index) whose writes may fault


def _fault_before_replace() -> None:
    if _current:
        _fault(*_current[-1])


def _write_with_faults(path: Path, data: bytes) -> None:
    """Replace `path` with `data` through gitorch.atomic (an injected fault strikes after the
    data is synced and before the rename, as a real I/O error there would)."""
    write_bytes(path, data, before_replace=_fault_before_replace)


# --- preconditions ----------------------------------------------------------------------

def managed_files(snap: Snapshot, repo: str) -> set[str]:
    """Files of `repo` that links gitorch made may have changed (not the user's changes)."""
    return {lk.file for lk in snap.links if lk.repo == repo and lk.recorded}


def check(pre: Precondition, snap: Snapshot, *, force: bool, lock_free: bool = True) -> str | None:
    """None when the precondition holds, else why not."""
    if pre.type == "repo_exists":
        info = snap.repo(pre.target)
        return None if info is not None and info.exists else f"repo {pre.target} is not checked out"
    if pre.type == "repo_absent":
        return f"{pre.expected} already exists" if Path(str(pre.expected)).exists() else None
    if pre.type == "clean_tree":
        state = snap.git_of(pre.target)
        if state is None or force:
            return None
        dirty = [p for p in state.changed if p not in managed_files(snap, pre.target)]
        if dirty:
            shown = ", ".join(dirty[:3]) + (" …" if len(dirty) > 3 else "")
            return (f"repo {pre.target} has uncommitted changes ({shown}); "
                    "commit or stash them, or use --force")
        return None
    if pre.type == "pushed":
        state = snap.git_of(pre.target)
        if state is None or force or not state.ahead:
            return None
        return (f"repo {pre.target} has {state.ahead} commit(s) not on {state.upstream}; "
                "push them, or use --force")
    if pre.type == "file_hash":
        repo, file = pre.target.split("/", 1)
        found = next((f.sha256 for f in snap.files if f.repo == repo and f.file == file), "")
        return None if found == pre.expected else f"{pre.target} changed since the plan was made"
    if pre.type == "lock_free":
        return None if lock_free else "another workspace operation holds the lock"
    if pre.type == "capability":
        return _capability(pre, snap)
    if pre.type == "detached_work_kept":  # never bypassed by --force: the commits would be lost
        info = snap.repo(pre.target)
        orphans = orphaned_commits(Path(info.path)) if info is not None and info.exists else 0
        return None if not orphans else (
            f"repo {pre.target} is on a detached HEAD with {orphans} commit(s) on no branch; "
            f"moving it would lose them: `git -C {info.path} branch NAME` keeps them")  # type: ignore[union-attr]
    if pre.type == "no_cycle":
        consumer, provider = pre.target.split("/", 1)
        cycle = would_cycle(snap, consumer, provider)
        return None if cycle is None else "link closes a cycle: " + " -> ".join(cycle)
    return f"unknown precondition {pre.type!r}"


def _capability(pre: Precondition, snap: Snapshot) -> str | None:
    """The provider offers that package at the folder the link points to (in a monorepo, the
    member folder; a plan made before package names were recorded checks the ecosystem only)."""
    info = snap.repo(pre.target)
    want = pre.expected if isinstance(pre.expected, dict) else {}
    eco = str(want.get("ecosystem", ""))
    if info is None or not any(p.ecosystem == eco for p in info.provides):
        return f"repo {pre.target} does not provide a {eco} package"
    if "dir" not in want:
        return None
    at = [p for p in info.provides if p.ecosystem == eco and p.dir == want["dir"]]
    if any(normalise(eco, p.name) == normalise(eco, want.get("package", "")) for p in at) or \
            (at and not want["dir"]):  # the root package under another name (`dep` alias)
        return None
    where = f"{pre.target}/{want['dir']}" if want["dir"] else pre.target
    found = ", ".join(p.name for p in at) or "no package"
    members = ", ".join(f"{p.name} in {p.dir or '.'}" for p in info.provides if p.ecosystem == eco)
    return (f"the link points at {where}, which provides {found}, not the {eco} package "
            f"{want.get('package')} ({pre.target} has: {members})")


def verify(plan: WorkspacePlan, snap: Snapshot, *, force: bool = False, lock_free: bool = True) -> list[str]:
    """Every failed precondition of `plan` against `snap`, as messages (empty: verified)."""
    if plan.root != snap.root:
        return [f"plan was made for the workspace at {plan.root}, not {snap.root}"]
    return [msg for pre in plan.preconditions
            if (msg := check(pre, snap, force=force, lock_free=lock_free)) is not None]


# --- execution --------------------------------------------------------------------------

@dataclass
class UndoLog:
    """What the forward operations changed, so each can be undone exactly."""

    files: dict[int, list[tuple[Path, bytes | None]]] = field(default_factory=dict)
    created: dict[int, Path] = field(default_factory=dict)
    heads: dict[int, tuple[Path, str]] = field(default_factory=dict)


class ApplyOutcome(msgspec.Struct, kw_only=True):
    plan_id: str
    state: str  # committed | rolled_back | failed | verified (dry run)
    executed: list[int] = []
    rolled_back: list[int] = []
    failed_operation: int | None = None
    error: str | None = None
    left: list[str] = []  # what is left for manual repair when rollback failed


def order(ops: list[Operation]) -> list[Operation]:
    """Operations in dependency order, ties by index (graphlib)."""
    sorter = graphlib.TopologicalSorter({op.index: op.depends_on for op in ops})
    sorter.prepare()
    by_index = {op.index: op for op in ops}
    out: list[Operation] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        out.extend(by_index[i] for i in ready)
        sorter.done(*ready)
    return out


def _link(params: dict[str, Any]) -> Link:
    return msgspec.convert(params["link"], Link)


def _write(journal: UndoLog, index: int, path: Path, data: bytes) -> None:
    old = path.read_bytes() if path.exists() else None
    journal.files.setdefault(index, []).append((path, old))
    _write_with_faults(path, data)


def _create_link(index: int, link: Link, repo: Path, provider: Path, journal: UndoLog) -> None:
    """Make the planned edit; an overlay file it creates is added to .git/info/exclude."""
    target = repo / link.file
    if not provider.is_dir():
        raise WorkspaceError(f"provider {link.provider} is gone from {provider}")
    data = target.read_bytes() if target.exists() else None
    if (sha256(data) if data is not None else "") != link.hashes.before:
        raise WorkspaceError(f"{target} changed since the plan was made")
    new = redo(link, data or b"")
    if new is None or sha256(new) != link.hashes.after:
        raise WorkspaceError(f"{target}: the planned edit no longer applies")
    if data is None:
        from gitorch.workspace.overlay import add_exclude, exclude_file, is_ignored

        exclude = exclude_file(repo)
        if exclude is not None and not is_ignored(repo, link.file):
            exclude.parent.mkdir(parents=True, exist_ok=True)  # git's own info/ (kept afterwards)
            _write(journal, index, exclude, add_exclude(_read(exclude), link.file))
        if not target.parent.is_dir():
            target.parent.mkdir(parents=True)
            journal.created[index] = target.parent
    _write(journal, index, target, new)


def _drop_overlay(index: int, link: Link, repo: Path, journal: UndoLog) -> None:
    """Delete an overlay the link created, its folder when left empty, and its exclude line."""
    from gitorch.workspace.overlay import exclude_file, remove_exclude

    target = repo / link.file
    journal.files.setdefault(index, []).append((target, target.read_bytes()))
    target.unlink()
    if target.parent != repo and not any(target.parent.iterdir()):
        target.parent.rmdir()
    exclude = exclude_file(repo)
    old = _read(exclude) if exclude is not None else None
    if exclude is not None and old is not None:
        new = remove_exclude(old, link.file)
        if new is None:
            journal.files.setdefault(index, []).append((exclude, old))
            exclude.unlink()
        elif new != old:
            _write(journal, index, exclude, new)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def run_operation(op: Operation, journal: UndoLog, urls: dict[str, str] | None = None) -> None:
    """Execute one forward operation, journaling what it changes (`urls`: the real clone url
    for each recorded one, which has its credentials redacted)."""
    p = op.params
    if op.type == "create_link":
        _create_link(op.index, _link(p), Path(p["repo_path"]), Path(p["provider_path"]), journal)
    elif op.type == "remove_link":
        link = _link(p)
        target = Path(p["repo_path"]) / link.file
        before = restore(link, target.read_bytes(), target)
        if before == b"" and not link.hashes.before:  # an overlay the link created: remove it all
            _drop_overlay(op.index, link, Path(p["repo_path"]), journal)
        else:
            _write(journal, op.index, target, before)
    elif op.type == "clone_repo":
        path = Path(p["path"])
        journal.created[op.index] = path
        args = ["clone", "-q", "--", (urls or {}).get(p["url"], p["url"]), str(path)]
        git(args, path.parent)
        if p.get("ref"):
            git(["checkout", "-q", p["ref"]], path)
    elif op.type == "checkout_ref":
        path = Path(p["path"])
        from gitorch.workspace.gitstate import read_one

        state = read_one(op.target, path)
        previous = state.branch or state.sha or ""
        journal.heads[op.index] = (path, previous)
        head = p["head"]
        git(["checkout", "-q", head[9:] if head.startswith("detached@") else head], path)
    elif op.type == "detach_repo":
        shutil.rmtree(p["path"])
    else:
        raise WorkspaceError(f"unknown operation type {op.type!r}")


def undo_operation(op: Operation, journal: UndoLog) -> None:
    """Undo one forward operation exactly, from the journal."""
    for path, old in reversed(journal.files.get(op.index, [])):
        if old is None:
            path.unlink(missing_ok=True)
        elif not path.exists() or path.read_bytes() != old:  # a failed write changed nothing
            path.parent.mkdir(parents=True, exist_ok=True)  # an overlay's folder removed with it
            _write_with_faults(path, old)
    if op.index in journal.created:
        created = journal.created[op.index]
        if created.exists():
            shutil.rmtree(created)
    if op.index in journal.heads:
        path, previous = journal.heads[op.index]
        git(["checkout", "-q", previous], path)


def describe(op: Operation) -> str:
    """One line naming what a done operation left on disk, for manual repair."""
    p = op.params
    if op.type in ("create_link", "remove_link"):
        link = _link(p)
        what = "still linked" if op.type == "create_link" else "link removed"
        return (f"{Path(p['repo_path']) / link.file}: {what} ({link.key}, dep {link.dep}); "
                f"expected sha256 {link.hashes.before if op.type == 'create_link' else link.hashes.after}")
    if op.type == "clone_repo":
        return f"{p['path']}: cloned by this apply; remove it"
    if op.type == "checkout_ref":
        return f"{p['path']}: checked out {p['head']}; check out the previous branch again"
    return f"operation {op.index} ({op.type} {op.target}) is done"


def execute(plan: WorkspacePlan, urls: dict[str, str] | None = None,
            journal: UndoLog | None = None) -> ApplyOutcome:
    """Run the operations; on failure undo the done ones LIFO. Never raises for an operation
    failure: the ApplyOutcome says what happened (`journal`, when given, keeps the pre-images)."""
    journal = journal if journal is not None else UndoLog()
    done: list[Operation] = []
    outcome = ApplyOutcome(plan_id=plan.id, state="committed")
    for op in order(plan.operations):
        _current.append(("apply", op.index))
        try:
            _fault("crash", op.index)
            if op.type not in ("create_link", "remove_link"):  # file writes fault inside _write_with_faults
                _fault("apply", op.index)
            run_operation(op, journal, urls)
        except (Exception, KeyboardInterrupt) as exc:  # any failure, even Ctrl-C, rolls back
            outcome.failed_operation = op.index
            outcome.error = f"operation {op.index} ({op.type} {op.target}) failed: {_why(exc)}"
            done.append(op)  # a failed step may have half-happened: undo what its journal holds
            break
        finally:
            _current.pop()
        done.append(op)
        outcome.executed.append(op.index)
    else:
        return outcome
    for i, op in enumerate(reversed(done)):
        _current.append(("rollback", op.index))
        try:
            _fault("rollback", op.index)
            undo_operation(op, journal)
        except Exception as exc:  # noqa: BLE001 - stop at the first failed undo and report
            outcome.state = "failed"
            outcome.error = (outcome.error or "") + f"; rollback of operation {op.index} failed: {_why(exc)}"
            remaining = list(reversed(done))[i:]
            outcome.left = [describe(o) for o in remaining
                            if o.index in outcome.executed or journal.files.get(o.index)]
            return outcome
        finally:
            _current.pop()
        if op.index in outcome.executed:
            outcome.rolled_back.append(op.index)
    outcome.state = "rolled_back"
    return outcome


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc)
