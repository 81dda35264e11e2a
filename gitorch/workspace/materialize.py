"""Materialization with the audit trail: the workspace lock, the recheck, execution, and
every state transition recorded on the state branch (the seed's state machine:
draft -> planned -> verified -> executing -> committed | rolled_back | failed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch.atomic import write_bytes
from gitorch.errors import CheckFailed, Location, StateConflict, WorkspaceError
from gitorch.repo import Repo
from gitorch.workspace.apply import ApplyOutcome, UndoLog, execute, verify
from gitorch.workspace.diff import diff_views, view
from gitorch.workspace.manifest import MANIFEST_NAME, Manifest, load, redact_url
from gitorch.workspace.model import Snapshot
from gitorch.workspace.plan import WorkspacePlan
from gitorch.workspace.record import BASE, DESIRED, LEFTOVERS, WorkspaceRecorder, plan_path
from gitorch.workspace.snapshot import take

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.workspace.effective import LinkEffect
    from gitorch.workspace.leftovers import Leftovers


@dataclass
class Workspace:
    """The workspace of the repository holding workspace.toml: its manifest and records,
    over the command's Context (which owns the repository, the settings and the state store)."""

    repo: Repo
    manifest: Manifest
    ctx: Context | None = None  # None: a Context over `repo` is made on first use

    @classmethod
    def of(cls, ctx: Context) -> Workspace:
        """The workspace of the context's repository (WorkspaceError without a manifest)."""
        root = ctx.repo.require_worktree()
        if not (root / MANIFEST_NAME).is_file() and not (root / "graft.exs").is_file():  # or mix_graft's
            raise WorkspaceError(f"no {MANIFEST_NAME} at {root}",
                                 hint="write one (see docs/workspace.md), or use "
                                      "`git orch ws snapshot --root DIR` to look at a folder of repos")
        return cls(repo=ctx.repo, manifest=load(root), ctx=ctx)

    @cached_property
    def recorder(self) -> WorkspaceRecorder:
        from gitorch.context import build_context

        ctx = self.ctx if self.ctx is not None else build_context(cwd=self.repo.cwd, repo=self.repo)
        return WorkspaceRecorder(ctx.store)

    def desired(self) -> Snapshot | None:
        return self.recorder.desired()

    def current(self, desired: Snapshot | None = None) -> Snapshot:
        """A snapshot now; links gitorch made keep their records: those of the last commit, and
        those of an apply that was killed while executing (so they can still be removed)."""
        recorded = desired or self.desired()
        links = list(recorded.links) if recorded else []
        interrupted = self.interrupted()
        if interrupted is not None:
            links = list(interrupted.links) + links
        return take(self.manifest, recorded=links)

    @property
    def marker(self) -> Path:
        """Names the plan being executed; left behind only when the process died mid-apply."""
        return self.repo.scratch / "workspace" / "executing"

    def leftovers(self) -> Leftovers | None:
        """What a failed rollback left behind, when it is not resolved yet."""
        from gitorch.workspace.leftovers import decode

        data = self.recorder.store.read(LEFTOVERS)
        return decode(data) if data else None

    def finish_leftovers(self) -> list[str]:
        """Finish a failed rollback from its record (pre-images back) and forget the record."""
        from gitorch.workspace.leftovers import finish

        record = self.leftovers()
        if record is None:
            return []
        with self.recorder.lock():
            done = finish(record)
            forget: dict[str, bytes | None] = {LEFTOVERS: None}
            if self.desired() is None:  # a first attach undone: the next one records its own base
                forget[BASE] = None
            self.recorder.transition(record.plan_id, "rolled_back", detail="rollback finished: "
                                     + ("; ".join(done) or "nothing left"), files=forget)
        return done or ["nothing left to restore"]

    def interrupted(self) -> WorkspacePlan | None:
        """The plan a dead process was executing, read back from the state branch."""
        try:
            plan_id = self.marker.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        data = self.recorder.store.read(plan_path(plan_id))
        if not data:
            return None
        from gitorch.workspace.plan import load_plan

        return load_plan(data, plan_path(plan_id))


CommitFiles = Callable[[Snapshot], dict[str, bytes | None]]


def materialize(ws: Workspace, plan: WorkspacePlan, *, dry_run: bool = False, force: bool = False,
                commit_files: CommitFiles | None = None, fresh: bool = True) -> ApplyOutcome:
    """Verify `plan` under the workspace lock and execute it; record every transition
    (`fresh`: the plan was just made here, so its draft and planned states are recorded too).

    Raises CheckFailed (exit 1) when a precondition fails or the plan rolled back or failed,
    Busy (exit 4) when another operation holds the lock.
    """
    if plan.root != str(ws.manifest.root):
        raise StateConflict(f"plan {plan.id} was made for the workspace at {plan.root}, "
                            f"not {ws.manifest.root}; refusing it")
    rec = ws.recorder
    plan_file = {plan_path(plan.id): plan.to_bytes()}
    first = ("draft", "planned") if fresh else ()
    with rec.lock():
        dead = ws.interrupted()  # we hold the lock, so the process that left it is gone
        if dead is not None:
            rec.transition(dead.id, "failed", detail=f"interrupted: the process died while executing; "
                           f"plan {plan.id} adopts the links it made")
            ws.marker.unlink(missing_ok=True)
        desired_before = rec.desired()
        snap = ws.current(desired_before)
        failures = verify(plan, snap, force=force)
        if failures:
            rec.transition(plan.id, *first, "failed", detail="preconditions: " + "; ".join(failures),
                           files=plan_file)
            raise CheckFailed("plan does not verify:\n  " + "\n  ".join(failures),
                              hint="fix the above, or make a new plan (`git orch ws plan`)")
        if dry_run:
            rec.transition(plan.id, *first, "verified", detail="dry run", files=plan_file)
            return ApplyOutcome(plan_id=plan.id, state="verified")
        files = dict(plan_file)
        if rec.base() is None and plan.action == "attach":
            from gitorch.workspace.model import encode

            files[BASE] = encode(snap)  # teardown's target: the workspace before the first attach
        rec.transition(plan.id, *first, "verified", "executing", files=files)
        ws.marker.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(ws.marker, plan.id.encode())
        urls = {redact_url(r.url) or "": r.url for r in ws.manifest.repos if r.url}
        log = UndoLog()
        outcome = execute(plan, urls, log)
        for redacted, real in urls.items():  # git may echo a url with its credentials
            outcome.error = outcome.error.replace(real, redacted) if outcome.error else outcome.error
            outcome.left = [line.replace(real, redacted) for line in outcome.left]
        if outcome.state == "committed":
            _record_commit(ws, plan, commit_files)
            return outcome
        _record_failure(ws, plan, outcome, log, recorded_base=BASE in files)
    if outcome.state == "rolled_back":
        raise CheckFailed(f"{outcome.error}; every operation was rolled back, the workspace is as before")
    raise CheckFailed(f"{outcome.error}\nleft for manual repair:\n  "
                      + "\n  ".join(outcome.left or ["nothing"]))


def _record_commit(ws: Workspace, plan: WorkspacePlan, commit_files: CommitFiles | None) -> None:
    """The committed transition with the snapshot taken after, and the hooks' local copy."""
    rec = ws.recorder
    after = take(ws.manifest, recorded=plan.links)
    drift = diff_views(plan.desired, view(after))
    detail = "" if drift.empty else "differs from the plan: " + ", ".join(
        "/".join(c.path) for c in drift.added + drift.removed + drift.changed)
    extra = commit_files(after) if commit_files else rec.commit_files(after, None)
    rec.transition(plan.id, "committed", detail=detail, files=extra)
    rec.cache_desired(None if extra.get(DESIRED, b"") is None else after)
    ws.marker.unlink(missing_ok=True)


def _record_failure(ws: Workspace, plan: WorkspacePlan, outcome: ApplyOutcome, log: UndoLog, *,
                    recorded_base: bool) -> None:
    """The rolled_back or failed transition; a failed undo's leftovers are kept until resolved."""
    # A first attach rolled back leaves nothing to tear down: forget the base it recorded,
    # so the next attach records the workspace as it is then.
    files: dict[str, bytes | None] = {BASE: None} if recorded_base and \
        outcome.state == "rolled_back" else {}
    if outcome.state == "failed":
        from gitorch.workspace import leftovers

        files[LEFTOVERS] = leftovers.encode(leftovers.from_failed(outcome, log))
    ws.recorder.transition(plan.id, outcome.state, detail=outcome.error or "",
                           operation=outcome.failed_operation, files=files or None)
    ws.marker.unlink(missing_ok=True)


def attach_plan(ws: Workspace, *, frozen: bool = False) -> tuple[WorkspacePlan, Snapshot, Snapshot]:
    """The plan making the workspace what the manifest says (repos, refs, links); `frozen`:
    each repo at the commit workspace.lock records (CheckFailed, nothing planned, when a
    locked commit is not in its repository)."""
    from gitorch.workspace.desired import desired_from
    from gitorch.workspace.plan import make_plan

    manifest = _frozen(ws.manifest) if frozen else ws.manifest
    current = ws.current()
    for info in current.repos:
        if not info.exists and not info.url:
            raise WorkspaceError(f"repo {info.name}: no checkout at {info.path} and no url to clone it from",
                                 where=Location(file=str(ws.manifest.file), path=f"repos[{info.name}]"),
                                 hint="fix its path, add a url, or remove it from the manifest")
    desired = desired_from(current, manifest)
    return make_plan(current, desired, "attach"), current, desired


def _frozen(manifest: Manifest) -> Manifest:
    from gitorch.gitcmd import git
    from gitorch.workspace.freeze import LOCK_NAME, frozen_manifest, read_lock

    lock = read_lock(manifest)
    if lock is None:
        raise WorkspaceError(f"no {LOCK_NAME} beside {manifest.file}",
                             hint="write one with `git orch ws freeze`")
    missing = []
    for name, entry in sorted(lock.items()):
        path = manifest.path_of(name)
        if path.is_dir() and git(["cat-file", "-e", f"{entry.commit}^{{commit}}"], path,
                                 check=False).returncode != 0:
            missing.append(f"repo {name}: commit {entry.commit[:12]} ({LOCK_NAME}) is not in {path}")
    if missing:
        raise CheckFailed("the frozen workspace cannot be planned:\n  " + "\n  ".join(missing),
                          hint="fetch those commits (git fetch), or freeze again")
    return frozen_manifest(manifest, lock)


def record_planned(ws: Workspace, plan: WorkspacePlan) -> None:
    """Keep a plan just made on the state branch (draft -> planned)."""
    ws.recorder.transition(plan.id, "draft", "planned", files={plan_path(plan.id): plan.to_bytes()})


def verify_saved(ws: Workspace, plan: WorkspacePlan) -> None:
    """Check a saved plan's preconditions against the disk now (lock included) and record it
    verified; CheckFailed (exit 1) naming every failure otherwise."""
    from gitorch.errors import Busy

    if plan.root != str(ws.manifest.root):
        raise StateConflict(f"plan was made for the workspace at {plan.root}, not {ws.manifest.root}")
    try:
        with ws.recorder.lock(timeout=0):
            lock_free = True
    except Busy:
        lock_free = False
    failures = verify(plan, ws.current(), lock_free=lock_free)
    if failures:
        raise CheckFailed("plan does not verify:\n  " + "\n  ".join(failures))
    ws.recorder.transition(plan.id, "verified", files={plan_path(plan.id): plan.to_bytes()})


def apply_workspace(ws: Workspace, saved: WorkspacePlan | None, *, dry_run: bool = False,
                    force: bool = False, frozen: bool = False) -> list[tuple[WorkspacePlan, ApplyOutcome]]:
    """`ws apply`: the saved plan, or the attach planned now (`frozen`: at workspace.lock's
    commits); when that cloned repos, a second plan links them (their manifests can be read
    only once they exist). Each (plan, outcome)."""
    plan = saved if saved is not None else attach_plan(ws, frozen=frozen)[0]
    done = [(plan, materialize(ws, plan, dry_run=dry_run, force=force, fresh=saved is None))]
    if saved is None and not dry_run and any(op.type == "clone_repo" for op in plan.operations):
        follow = attach_plan(ws, frozen=frozen)[0]
        if follow.operations:
            done.append((follow, materialize(ws, follow, force=force)))
    return done


def applied_link_effects(ws: Workspace) -> list[LinkEffect]:
    """Each link of the last applied state, checked with its ecosystem's resolver."""
    import msgspec

    from gitorch.workspace.effective import check_links

    desired = ws.desired()
    if desired is None:
        return []
    current = ws.current(desired)
    keys = {lk.key for lk in desired.links}
    return check_links(msgspec.structs.replace(current, links=[lk for lk in current.links if lk.key in keys]))
