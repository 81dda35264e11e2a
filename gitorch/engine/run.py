"""A run: load the plan, decide what to run, run up to -j tasks at once, record it.

One thread drives every running task (tasks are generators, see runner.py) and their
processes (process.py), journals events at every task boundary and commits them at most
once a second (record.py). The dry run is in dryrun.py.

`execute(options)` is what `git orch run` and `git orch resume` call. It returns a
`RunSummary` (the CLI renders it and exits with its code); it raises OrchError only for
bad input (exit 2) or a held lock (exit 4).
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from gitorch import events as ev
from gitorch.agent.setup import agent_setup
from gitorch.engine import inputs as inp
from gitorch.engine.decide import decide
from gitorch.engine.gates import APPLY_PATCH, matches
from gitorch.engine.history import History, history_from_watch, read_history
from gitorch.engine.process import Children, CommandOutcome
from gitorch.engine.record import Recorder
from gitorch.engine.runner import RunContext, Sleep, Steps, TaskResult, run_task
from gitorch.engine.scheduler import Scheduler
from gitorch.engine.setup import Loaded, load, plan_changes, selection_of, task_inputs, task_root
from gitorch.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PAUSED, UsageError
from gitorch.gitcmd import git
from gitorch.hooks.watchindex import INDEX_FILE, build_index
from gitorch.plan.model import Plan, Task
from gitorch.store import layout

if TYPE_CHECKING:
    from gitorch.context import Context

WATCH_FILE = layout.WATCH
GATE_CHECK_EVERY = 1.0  # seconds between looks for approvals given while the run goes on
DASHBOARD_FILE = layout.DASHBOARD


@dataclass
class RunOptions:
    """What `git orch run` was asked."""

    tasks: list[str] = field(default_factory=list)
    all: bool = False
    dry_run: bool = False
    resume: bool = False
    jobs: int | None = None
    keep_going: bool = False
    no_build: bool = False
    force: bool = False
    dashboard: bool | None = None
    argv: list[str] = field(default_factory=list)
    only: bool = False  # exactly `tasks`; their dependencies must be done already (gitorch/ci/only.py)
    run_id: str | None = None  # the CI run's id, shared by all its jobs (else a new one)


@dataclass
class RunSummary:
    """How a run ended, for rendering and the exit code."""

    run: str
    status: str  # completed | failed | paused | interrupted
    exit_code: int
    counts: dict[str, int]
    failures: list[dict[str, str]] = field(default_factory=list)
    awaiting: list[dict[str, str]] = field(default_factory=list)
    waiting: list[dict[str, str]] = field(default_factory=list)
    plan_changes: list[str] = field(default_factory=list)
    stale_approvals: list[dict[str, str]] = field(default_factory=list)  # given, but no longer apply
    duration: float = 0.0
    commit: str | None = None
    resumed: bool = False
    build: str | None = None  # completed | failed when the build phase ran
    # after a run with sync_after_run (or portable state on an ephemeral machine):
    # {"remote", "pushed", "state"} when the state was pushed, {"error"} when it could not be
    sync: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run, "status": self.status, "exit_code": self.exit_code,
            "counts": self.counts, "failures": self.failures, "awaiting": self.awaiting,
            "waiting": self.waiting, "plan_changes": self.plan_changes,
            "stale_approvals": self.stale_approvals,
            "duration": round(self.duration, 3), "commit": self.commit, "resumed": self.resumed,
            "build": self.build, "sync": self.sync,
        }


class Progress(Protocol):
    """What a run tells the terminal as it goes (gitorch.views.progress.Progress)."""

    def start(self, run: str, total: int) -> None: ...
    def task_started(self, task_id: str) -> None: ...
    def task_finished(self, task_id: str, state: str, duration: float) -> None: ...
    def close(self) -> None: ...


class Silent:
    """No progress at all (tests, library use)."""

    def start(self, run: str, total: int) -> None:
        pass

    def task_started(self, task_id: str) -> None:
        pass

    def task_finished(self, task_id: str, state: str, duration: float) -> None:
        pass

    def close(self) -> None:
        pass


def new_run_id() -> str:
    """A readable, unique, time-ordered run id, e.g. 20261122T074501-3fa2c1."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + ev.new_id()[-6:]


def execute(ctx: Context, opts: RunOptions, progress: Progress | None = None) -> RunSummary:
    """Run (or resume) the plan as `opts` asks; see the module docstring."""
    lp = load(ctx, run_plan=opts.resume, prefetch="run")
    selection_of(lp, opts.tasks)  # an unknown --task id: exit 2 before anything starts
    if opts.only:
        from gitorch.ci.only import check_only

        check_only(lp, opts.tasks, opts.run_id)
    if not opts.dry_run:
        # Refuse before any command runs, not at the first write after the work is done.
        from gitorch.store.statebranch import check_not_checked_out

        check_not_checked_out(lp.store.repo.common_dir, lp.store.ref)
    with lp.store.lock("run", timeout=lp.settings.lock_timeout):
        summary = _Run(lp, opts, progress or Silent()).go()
    if _wants_sync(lp):
        summary.sync = sync_state(lp)
    return summary


def _wants_sync(lp: Loaded) -> bool:
    """sync_after_run, or portable state on a machine that will not outlive the session."""
    if lp.settings.sync_after_run:
        return True
    if not lp.settings.portable:
        return False
    from gitorch.ephemeral import detect

    return detect() is not None


def sync_state(lp: Loaded) -> dict[str, Any]:
    """Push the state branch and notes (`git orch sync`); a failure is reported, not raised:
    the run itself is recorded locally either way."""
    from gitorch.errors import OrchError
    from gitorch.store.sync import sync

    try:
        result = sync(lp.store)
    except OrchError as exc:  # git's own message can run to several lines: the first says it
        return {"error": (str(exc).strip().splitlines() or ["sync failed"])[0]}
    return {"remote": result.remote, "pushed": result.pushed, "state": result.merge.state}


class _Run:
    """One invocation of run/resume, holding the run lock."""

    def __init__(self, lp: Loaded, opts: RunOptions, progress: Progress) -> None:
        self.lp, self.opts, self.progress = lp, opts, progress
        self.plan: Plan = lp.plan
        self.store = lp.store
        self.t0 = time.monotonic()
        self.results: dict[str, TaskResult] = {}
        self.completed_now: list[str] = []
        self.gated: dict[str, str] = {}
        self.stale: dict[str, list[str]] = {}  # task -> approvals of its gate that no longer apply
        self._watch_key: tuple[int, int, int] = (0, 0, -1)
        self.build: str | None = None
        self._gate_check = 0.0  # monotonic time of the next look for approvals
        self._seen_tip: str | None = None  # the state branch tip those approvals were read at
        from gitorch.ci.cache_run import for_run

        self.cache = for_run(lp)  # the result cache (gitorch/ci, issue 18); None when off

    # --- setup ---------------------------------------------------------------------
    def go(self) -> RunSummary:
        lp, opts = self.lp, self.opts
        gated_plan = any(self.plan.gates_for(t) for t in self.plan.tasks)
        # a plain run without gates needs only each task's last pass: watch.json has it,
        # so the events (which grow with every run) are not read at all
        fast = None if opts.resume or gated_plan else history_from_watch(lp)
        self.history: History = fast or read_history(lp)
        self.commit = lp.head
        changes: list[str] = []
        done: set[str] = set()
        resumed = False
        latest = self.history.latest_run() if opts.resume else None
        if opts.resume and latest is not None and latest.status != "completed":
            resumed = True
            self.run_id = latest.id
            targets = [t for t in latest.targets if t in lp.by_id] if latest.targets else []
            if latest.targets and not targets:
                targets = []
        else:
            if opts.resume and latest is None:
                raise UsageError("no run to resume", hint="start one with `git orch run`")
            if opts.resume and latest is not None:  # it completed: nothing to continue
                counts: dict[str, int] = {}
                for t in latest.tasks.values():
                    counts[t.state] = counts.get(t.state, 0) + 1
                return RunSummary(run=latest.id, status="completed", exit_code=EXIT_OK, counts=counts,
                                  commit=latest.commit, resumed=False)
            self.run_id = opts.run_id or new_run_id()
            targets = list(opts.tasks)
        if opts.tasks and resumed:
            targets = list(opts.tasks)
        self.selection = self._select(targets)
        self.inputs = task_inputs(lp)
        events: list[ev.Event] = []
        if resumed and latest is not None:
            if latest.plan_digest and latest.plan_digest != lp.digest:
                changes = plan_changes(self.store, latest.plan_digest, self.plan)
                events.append(ev.PlanUpdated(run=self.run_id, digest=lp.digest,
                                             previous_digest=latest.plan_digest, changes=changes))
            old_parts = recorded_parts(self.store, latest.plan_digest) if changes else {}
            for tid, tv in latest.tasks.items():
                cur = self.inputs.get(tid)
                # completed in this run: never again, unless the plan changed the task itself
                if tv.state == "completed" and cur is not None and tid in self.selection and \
                        old_parts.get(tid, cur.parts) == cur.parts:
                    done.add(tid)
            events.append(ev.Resumed(run=self.run_id, reason="resume" + (
                f" after {latest.status}" if latest.status != "running" else " after a crash")))
        else:
            events.append(ev.PlanValidated(run=self.run_id, digest=lp.digest, file=lp.file,
                                           tasks=len(self.plan.tasks)))
            events.append(ev.RunStarted(
                run=self.run_id, plan_digest=lp.digest, plan_file=lp.file, commit=self.commit,
                targets=targets, jobs=self._jobs(), argv=opts.argv))
        self.watch = self.history.watch
        self._watch_added = False  # a task passed, or got its first watch entry, in this run
        if self.history.watch_awaiting is not None:  # on the branch already: rewrite on change
            self._watch_key = (0, 0, len(self.watch))
        self.rec = Recorder(self.store, self._flush_files)
        self.rec.add(events)
        self._seen_tip = self.store.tip()
        if not self.store.read(layout.plan_path(lp.digest)):
            self.rec.add_files({layout.plan_path(lp.digest): msgspec.json.encode(self.plan)})
        self.rec.boundary()
        order = [t for t in lp.order if t in self.selection]
        deps = {t: [d for d in lp.by_id[t].dependencies if d in self.selection] for t in order}
        self.sched = Scheduler(deps, order, done, keep_going=opts.keep_going)
        self.progress.start(self.run_id, len(order))
        for tid in done:
            self.progress.task_finished(tid, "completed", 0.0)
        status = self._loop()
        return self._finish(status, changes, resumed)

    def _jobs(self) -> int:
        j = self.opts.jobs or self.lp.settings.jobs or os.cpu_count() or 1
        return max(1, j)

    def _select(self, targets: list[str]) -> set[str]:
        if self.opts.only:
            return set(targets)
        return selection_of(self.lp, targets, self.opts.all)

    # --- the loop ------------------------------------------------------------------
    def _loop(self) -> str:
        """Drive every running task (generators) from this one thread until none is left."""
        jobs = self._jobs()
        ctx = self.ctx = self._context()
        children = self.children = Children()
        self.active: dict[str, Steps] = {}
        self.sleepers: list[tuple[float, str]] = []
        cwd = os.getcwd()
        interrupted = False
        try:
            with _sigterm_as_interrupt():
                while True:
                    to_start = self._fill(jobs - len(self.active))
                    self.rec.boundary()
                    for task in to_start:
                        gen = run_task(ctx, task, self.inputs[task.id].digest)
                        self.active[task.id] = gen
                        self._advance(task.id, None)
                    if not self.active:
                        if self.sched.has_ready():
                            continue
                        break
                    self.rec.maybe_flush()
                    timeout = self.rec.seconds_to_flush()
                    if self.gated:
                        timeout = min(timeout, self._approvals_arrived())
                    if self.sleepers:
                        timeout = min(timeout, max(0.0, self.sleepers[0][0] - time.monotonic()))
                    for child, outcome in children.wait(max(0.001, timeout)):
                        self._advance(str(child.key), outcome)
                    now = time.monotonic()
                    while self.sleepers and self.sleepers[0][0] <= now:
                        _, tid = heapq.heappop(self.sleepers)
                        self._advance(tid, None)
        except KeyboardInterrupt:
            interrupted = True
            ctx.stopping = True
            for child, outcome in children.stop_all():
                self._advance(str(child.key), outcome)
            for _, tid in self.sleepers:
                self._advance(tid, None)
            for tid, gen in list(self.active.items()):
                gen.close()
                del self.active[tid]
        finally:
            children.restore_cwd(cwd)
        return "interrupted" if interrupted else "ended"

    def _approvals_arrived(self) -> float:
        """While tasks still run, a gate approved from another shell opens at once.

        Looked at once a second (returns the seconds to the next look), and reads events
        only when someone else moved the state branch."""
        now = time.monotonic()
        due = self._gate_check
        if now < due:
            return due - now
        self._gate_check = now + GATE_CHECK_EVERY
        waiting = [t for t, g in self.gated.items() if self.sched.state.get(t) == "awaiting_approval"]
        if not waiting:
            return GATE_CHECK_EVERY
        self._check_approvals(waiting)
        return GATE_CHECK_EVERY

    def _check_approvals(self, waiting: list[str]) -> None:
        tip = self.store.tip()
        seen = self._seen_tip
        if tip is None or tip == seen:
            return
        self._seen_tip = tip
        if seen is not None and tip == self.rec.tip:
            # our own flush on top of what we saw: nothing new from anyone else
            parent = git(["rev-parse", "-q", "--verify", f"{tip}^"], self.lp.repo_root, check=False)
            if parent.stdout.decode().strip() == seen:
                return
        known = {a.id for a in self.history.approvals}
        new = [e for e in self.store.events(types=["approved"])
               if isinstance(e, ev.Approved) and e.id not in known]
        if not new:
            return
        self.history.approvals.extend(new)
        for tid in waiting:
            task = self.lp.by_id[tid]
            cur = self.inputs[tid]
            d = decide(task, plan=self.plan, plan_digest=self.lp.digest, inputs=cur.digest, last=None,
                       approvals=self.history.approvals)
            held = self.gated[tid] == APPLY_PATCH and self.plan.agent_does(task)
            if held and not any(matches(a, APPLY_PATCH, tid, self.lp.digest, cur.digest) for a in new):
                continue  # the agent's held patch waits for its own approval
            if d.action != "await_approval":
                del self.gated[tid]
                self.sched.reopen(tid)

    def _advance(self, tid: str, value: Any) -> None:
        """Send `value` to task `tid` and carry out what it asks next (or record its end)."""
        gen = self.active[tid]
        while True:
            try:
                req = gen.send(value)
            except StopIteration as stop:
                del self.active[tid]
                self._finished(stop.value)
                return
            except Exception as exc:  # a bug or an unreadable file: this task fails, the run goes on
                if os.environ.get("GITORCH_DEBUG"):
                    raise
                del self.active[tid]
                reason = f"internal error: {type(exc).__name__}: {exc}"
                failed = ev.TaskFailed(run=self.run_id, task=tid, reason=reason)
                self._finished(TaskResult(tid, "failed", [failed], {}, reason, 0.0))
                return
            if isinstance(req, Sleep):
                heapq.heappush(self.sleepers, (time.monotonic() + req.seconds, tid))
                return
            started = self.children.spawn(req.cmd, cwd=req.cwd, env=req.env, log_path=req.log_path,
                                          timeout=req.timeout, key=tid)
            if not isinstance(started, CommandOutcome):
                return
            value = started  # could not start: the task hears it at once

    def _fill(self, slots: int) -> list[Task]:
        """Pop ready tasks: skip unchanged ones, hold gated ones, start up to `slots`."""
        out: list[Task] = []
        sched = self.sched
        while slots > 0 and sched.has_ready():
            tid = sched.pop()
            task = self.lp.by_id[tid]
            # dependencies that ran in this run may have new digests (their outputs)
            cur = self.inputs[tid] = inp.rebind(
                self.inputs[tid], {d: self.inputs[d].digest for d in self.inputs[tid].deps})
            d = decide(task, plan=self.plan, plan_digest=self.lp.digest, inputs=cur.digest,
                       last=self.history.passes.get(tid), approvals=self.history.approvals,
                       force=self.opts.force)
            if d.action == "skip":
                last = self.history.passes[tid]
                self.rec.add([ev.Skipped(run=self.run_id, task=tid, reason=d.reason)])
                if tid not in self.watch:
                    self.watch[tid] = inp.watch_entry(cur, last.run, last.commit)
                    self._watch_added = True
                sched.finish(tid, "skipped")
                self.progress.task_finished(tid, "skipped", 0.0)
                continue
            cached = self.cache.hit(task, cur.digest) if d.action == "run" and self.cache else None
            if cached is not None:  # another clone or CI job passed it on these inputs
                self.rec.add([ev.Skipped(run=self.run_id, task=tid, reason=cached)])
                sched.finish(tid, "skipped")
                self.progress.task_finished(tid, "skipped", 0.0)
                continue
            if d.action == "await_approval" and d.gate is not None:
                self.rec.add([ev.AwaitingApproval(run=self.run_id, task=tid, gate=d.gate)])
                self.gated[tid] = d.gate
                self.stale[tid] = d.stale
                sched.finish(tid, "awaiting_approval")
                self.progress.task_finished(tid, "awaiting_approval", 0.0)
                continue
            self.rec.add([ev.TaskStarted(run=self.run_id, task=tid, inputs=cur.digest)])
            self.progress.task_started(tid)
            out.append(task)
            slots -= 1
        return out

    def _finished(self, res: TaskResult) -> None:
        self.results[res.task] = res
        if res.outcome == "completed" and self.cache is not None:  # keyed by its inputs before it ran
            self.cache.record(self.lp.by_id[res.task], self.inputs[res.task].digest, self.run_id)
        if res.outcome == "completed":
            # the digest the task passed on: its paths as it left them (its outputs included)
            final = self.inputs[res.task] = inp.refresh(self.inputs[res.task], self.lp.repo_root)
            res.events = [msgspec.structs.replace(e, inputs=final.digest)
                          if isinstance(e, ev.TaskCompleted) else e for e in res.events]
        self.rec.add(res.events, res.files)
        if res.outcome == "awaiting_approval":  # its gate holds the result (apply_patch)
            self.gated[res.task] = res.reason
        state = {"completed": "completed", "failed": "failed", "waiting": "waiting",
                 "awaiting_approval": "awaiting_approval"}.get(res.outcome, "interrupted")
        blocked = self.sched.finish(res.task, state)
        if res.outcome == "completed":
            self.completed_now.append(res.task)
            self.watch[res.task] = inp.watch_entry(self.inputs[res.task], self.run_id, self.commit or "")
            self._watch_added = True
        for tid in blocked:
            self.rec.add([ev.TaskBlocked(run=self.run_id, task=tid, blocked_by=[res.task])])
            self.progress.task_finished(tid, "blocked", 0.0)
        self.progress.task_finished(res.task, state if state != "waiting" else "in_progress", res.duration)

    def _context(self) -> RunContext:
        lp = self.lp
        names = list(dict.fromkeys([*self.plan.secrets, *(n for t in self.plan.tasks for n in t.secrets)]))
        if names:
            from gitorch.secrets import redactor_for_plan, resolve_for_task

            redactor = redactor_for_plan(lp.repo, self.plan)
        else:  # no secret declared: nothing to resolve or mask (and gitorch.secrets stays unloaded)
            from gitorch.secrets.redact import Redactor

            redactor = Redactor()
        secret_names = set(names)
        # a task's environment holds only the secrets it declares, even if others are exported
        base_env = {k: v for k, v in os.environ.items() if k not in secret_names}
        base_env["GITORCH_RUN"] = self.run_id

        def env_for(task: Task) -> Mapping[str, str]:
            if not names:
                return {"GITORCH_TASK": task.id}
            values = resolve_for_task(lp.repo, self.plan, task)
            for v in values.values():
                redactor.add(v)
            return {**values, "GITORCH_TASK": task.id}

        def root_for(task: Task) -> Path:
            return task_root(lp, task)

        return RunContext(
            run=self.run_id, root=lp.project_root, repo_root=lp.repo_root, scratch=lp.repo.scratch,
            excerpt_bytes=lp.settings.excerpt_bytes, redactor=redactor, base_env=base_env,
            log_bytes=lp.settings.log_bytes,
            env_for=env_for, root_for=root_for, agent=agent_setup(lp),
        )

    # --- the end -------------------------------------------------------------------
    def _awaiting(self) -> list[dict[str, str]]:
        return [{"run": self.run_id, "task": t, "gate": g} for t, g in self.gated.items()
                if self.sched.state.get(t) == "awaiting_approval"]

    def _stale_notes(self) -> list[dict[str, str]]:
        """Approvals that exist for a waiting gate but no longer apply, with the reason."""
        return [{"task": a["task"], "gate": a["gate"], "reason": why}
                for a in self._awaiting() for why in self.stale.get(a["task"], [])]

    def _watch_changed(self) -> bool:
        """Whether watch.json must be written: a re-run that skipped everything leaves it as it
        was (on a 10,000-file repository it is ~600 kB to encode, hash and store for nothing)."""
        if self.history.watch_awaiting is None or self._watch_added:
            return True
        return self._awaiting() != self.history.watch_awaiting

    def _watch_json(self) -> bytes:
        doc = {"schema_version": 1, "tasks": self.watch, "awaiting": self._awaiting()}
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()

    def _flush_files(self) -> dict[str, bytes | None]:
        # watch.json goes with every flush in which it changed (a task passed, a gate waits)
        # and always with the last one (_publish); the git hooks read it
        key = (len(self.completed_now), len(self.gated), len(self.watch))
        if key == self._watch_key:
            return {}
        self._watch_key = key
        return {WATCH_FILE: self._watch_json(), INDEX_FILE: None}  # its index: with the last

    def _build(self) -> dict[str, str] | None:
        """The release build after code-changing tasks completed; a failure, or None."""
        release = self.plan.project.build.release
        if self.opts.no_build or not release:
            return None
        if not any(self.lp.by_id[t].type == "code_change" for t in self.completed_now):
            return None
        from gitorch.engine.runner import build_task

        res = drive(build_task(self.ctx, release), self.ctx)
        self.rec.add(res.events, res.files)
        self.build = res.outcome
        return None if res.outcome == "completed" else {"task": "(build)", "reason": res.reason}

    def _finish(self, loop: str, changes: list[str], resumed: bool) -> RunSummary:
        sched = self.sched
        failures = [{"task": t, "reason": self.results[t].reason if t in self.results else ""}
                    for t in sched.in_state("failed")]
        blocked = sched.in_state("blocked")
        waiting = [{"task": t, "reason": self.results[t].reason} for t in sched.in_state("waiting")]
        awaiting = [{"task": t, "gate": g} for t, g in self.gated.items()
                    if sched.state.get(t) == "awaiting_approval"]
        if loop != "interrupted" and not failures and not blocked and not sched.halted:
            build_failure = self._build()  # Ctrl-C here still interrupts (the build is a command)
            if build_failure:
                failures.append(build_failure)
        with _interrupts_deferred():  # the end (events, dashboard, note) is recorded whole
            if loop == "interrupted":
                status, code = "interrupted", EXIT_INTERRUPTED
                self.rec.add([ev.Interrupted(run=self.run_id, reason="interrupted (Ctrl-C or SIGTERM)")])
            else:
                if failures or blocked or sched.halted:
                    status, code = "failed", EXIT_FAILED
                elif awaiting or waiting:
                    status, code = "paused", EXIT_PAUSED
                else:
                    status, code = "completed", EXIT_OK
                self.rec.add([ev.Completed(
                    run=self.run_id, status=status, failures=[f["task"] for f in failures],
                    duration=round(time.monotonic() - self.t0, 3))])
            self.rec.boundary()
            self._publish()
            self.progress.close()
        counts: dict[str, int] = {}
        for s in sched.state.values():
            s2 = "in_progress" if s == "waiting" else s
            counts[s2] = counts.get(s2, 0) + 1
        return RunSummary(
            run=self.run_id, status=status, exit_code=code, counts=counts, failures=failures,
            awaiting=awaiting, waiting=waiting, plan_changes=changes,
            stale_approvals=self._stale_notes(),
            duration=time.monotonic() - self.t0, commit=self.commit, resumed=resumed,
            build=self.build,
        )

    def _publish(self) -> None:
        """The last flush: TASKS.md, watch.json; the result note on the verified commit."""
        from gitorch.views.dashboard import render_dashboard
        from gitorch.views.fold import latest_run

        run_events = [e for e in self.history.events
                      if e.run == self.run_id or isinstance(e, ev.Approved)] + self.rec.new
        view = latest_run(run_events, self.plan)
        files: dict[str, bytes | None] = {}
        if view is not None:
            dashboard = render_dashboard(view, self.plan)
            files[DASHBOARD_FILE] = dashboard.encode()
            want = self.opts.dashboard if self.opts.dashboard is not None else self.lp.settings.dashboard
            if want:
                from gitorch.atomic import write_text

                write_text(self.lp.repo_root / DASHBOARD_FILE, dashboard)
        if self._watch_changed():
            files[WATCH_FILE] = self._watch_json()
            files[INDEX_FILE] = build_index({"tasks": self.watch, "awaiting": self._awaiting()},
                                            str(self.lp.repo_root))  # what the git hook reads
        self.rec.flush(files)
        shutil.rmtree(self.lp.repo.scratch / "out" / self.run_id, ignore_errors=True)
        if view is not None and self.commit:
            from gitorch.views.report import render_note

            with contextlib.suppress(Exception):  # a note is a courtesy; never fail a run on it
                self.store.add_note(self.commit, render_note(view))


def recorded_parts(store: Any, digest: str) -> dict[str, dict[str, str]]:
    """Definition part digests of each task of the plan recorded as `digest` ({} if unknown)."""
    from gitorch.engine.setup import definition

    old = layout.read_recorded_plan(store.read, digest, Plan).value
    if old is None:
        return {}
    return {t.id: inp.definition_parts(definition(t)) for t in old.tasks}


def drive(gen: Steps, ctx: RunContext) -> Any:
    """Run one task generator to its end on its own (the build phase)."""
    children = Children()
    cwd = os.getcwd()
    value: Any = None
    try:
        while True:
            try:
                req = gen.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(req, Sleep):
                time.sleep(req.seconds)
                value = None
                continue
            started = children.spawn(req.cmd, cwd=req.cwd, env=req.env, log_path=req.log_path,
                                     timeout=req.timeout, key="build")
            if isinstance(started, CommandOutcome):
                value = started
                continue
            done: list[tuple[Any, CommandOutcome]] = []
            while not done:
                done = children.wait(None)
            value = done[0][1]
    finally:
        children.restore_cwd(cwd)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C does (children stopped, run recorded, resumable)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C or SIGTERM while a run records its end is noted, not raised: the end takes a
    moment, and an interruption halfway would lose the summary (and --json's document)."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    got: list[int] = []

    def handler(signum: int, frame: object) -> None:
        got.append(signum)

    old_int = signal.signal(signal.SIGINT, handler)
    old_term = signal.signal(signal.SIGTERM, handler)
    try:
        yield got
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
