"""The loop of a run: one thread drives every running task (generators, see runner.py) and
their processes (process.py), starting up to -j at once in plan order as dependencies finish.

Which ready task runs, is skipped or waits at a gate is `decide()`'s answer (decide.py); the
driver carries it out, records every boundary (record.py) and looks for approvals given while
it runs. How the session begins is in start.py, how it ends in finish.py.
"""

from __future__ import annotations

import heapq
import os
import time
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch import events as ev
from gitorch.engine import inputs as inp
from gitorch.engine.decide import decide
from gitorch.engine.record import EventRecorder
from gitorch.engine.scheduler import Scheduler, SchedulerState
from gitorch.engine.setup import Loaded
from gitorch.engine.verified import Verified
from gitorch.engine.watch import WatchRecord
from gitorch.plan.model import Plan, Task

# What only runs commands (runner, process, checks, signals, gates) is imported where the loop
# needs it: a run that skips every task (skipall.py) never loads it (issue 15 P2).
if TYPE_CHECKING:
    from gitorch.engine.history import History
    from gitorch.engine.process import Child, Children, CommandOutcome
    from gitorch.engine.runner import Steps, TaskResult
    from gitorch.engine.runtypes import Progress, RunOptions
    from gitorch.engine.start import Start
    from gitorch.views.states import TaskState

GATE_CHECK_EVERY = 1.0  # seconds between looks for approvals given while the run goes on
# how a task's run ended (runner.TaskResult.outcome) -> its state; anything else: interrupted
_OUTCOME_STATE: dict[str, SchedulerState] = {
    "completed": "completed", "failed": "failed", "waiting": "waiting",
    "awaiting_approval": "awaiting_approval",
}

if TYPE_CHECKING:  # an entry of RunDriver._records (see there)
    _Ended = tuple[TaskResult, SchedulerState, str, list[ev.TaskBlocked]]
    _Record = ev.TaskStarted | tuple[ev.Event, TaskState] | _Ended
    _Reaped = list[tuple[Child, CommandOutcome]]


class RunDriver:
    """One session of a run (run or resume), holding the run lock."""

    def __init__(self, lp: Loaded, opts: RunOptions, progress: Progress, history: History,
                 start: Start, inputs: dict[str, inp.TaskInputs], selection: set[str]) -> None:
        self.lp, self.opts, self.progress = lp, opts, progress
        self.plan: Plan = lp.plan
        self.store = lp.store
        self.history = history
        self.start = start
        self.run_id = start.run_id
        self.inputs = inputs
        self.selection = selection
        self.commit = lp.head
        self.t0 = time.monotonic()
        self.results: dict[str, TaskResult] = {}
        self.completed_now: list[str] = []
        # what is not recorded yet (see _settle), in order: a task_started; (event, state) of a
        # task held (skipped, at a gate); (result, state, inputs digest it started with ("" unless
        # completed), the task_blocked of each dependent its end blocked) of a task that ended.
        # Their events are in `rec` already (added as they happen, journaled before the next
        # spawn: see _start_ready); what waits is their progress lines, watch and cache entries.
        self._records: list[_Record] = []
        # children a wait reaped whose end their task has not heard yet (see _round, _stop_all)
        self._reaped: _Reaped = []
        self.gated: dict[str, str] = {}
        self.stale: dict[str, list[str]] = {}  # task -> approvals of its gate that no longer apply
        self.build: str | None = None
        self.verified = Verified()  # what this session verifies (engine/verified.py)
        self._gate_check = 0.0  # monotonic time of the next look for approvals
        self.watch = WatchRecord(history, lp)
        self.rec = EventRecorder(self.store, lambda: self.watch.flush_files(self.awaiting()),
                                 self.watch.held_back)
        self._seen_tip: str | None = self.store.tip()  # the state branch tip approvals were read at
        from gitorch.engine.resultcache import for_run

        self.cache = for_run(lp)  # the result cache (engine/resultcache.py, issue 18); None when off
        order = [t for t in lp.order if t in selection]
        deps = {t: [d for d in lp.by_id[t].dependencies if d in selection] for t in order}
        self.sched = Scheduler(deps, order, start.done, keep_going=opts.keep_going)
        # the file system's "now" as the run read its inputs: a task that leaves its paths
        # untouched since needs no git call to know its final inputs (issue 15 P7)
        self.mark = inp.clock_mark(lp.repo.scratch)

    def jobs(self) -> int:
        return max(1, self.opts.jobs or self.lp.settings.jobs or os.cpu_count() or 1)

    def awaiting(self) -> list[dict[str, str]]:
        """The gates this run waits at now: {"run", "task", "gate"} each."""
        return [{"run": self.run_id, "task": t, "gate": g} for t, g in self.gated.items()
                if self.sched.state.get(t) == "awaiting_approval"]

    # --- the loop ------------------------------------------------------------------
    def loop(self) -> str:
        """Drive every running task from this one thread until none is left:
        "ended", or "interrupted" (Ctrl-C, SIGTERM)."""
        from gitorch.engine.process import Children
        from gitorch.engine.process import CommandOutcome as Outcome
        from gitorch.engine.runcontext import context_for
        from gitorch.engine.runner import Sleep, run_task
        from gitorch.engine.signals import interrupts_deferred, sigterm_as_interrupt

        # what the rounds use, bound once (an import statement per task cost ~3k instructions)
        self._run_task, self._sleep, self._outcome = run_task, Sleep, Outcome
        edit = self.opts.edit_step
        self.ctx = context_for(self.lp, self.run_id, edit(self.lp) if edit else None)
        self.children: Children = Children()
        self.active: dict[str, Steps] = {}
        self.sleepers: list[tuple[float, str]] = []
        self._jobs = self.jobs()
        cwd = os.getcwd()
        stopped = False
        try:
            with sigterm_as_interrupt():
                while self._round():
                    pass
        except KeyboardInterrupt:
            with interrupts_deferred():  # a second Ctrl-C does not cut the stop short
                self._stop_all()
            stopped = True
        finally:
            with interrupts_deferred() as got:  # one now is recorded, not lost mid-way
                self._settle()
                self.children.restore_cwd(cwd)
                self.children.close()
                self.progress.flush()
        return "interrupted" if stopped or got else "ended"

    def _round(self) -> bool:
        """Start what may start, record what finished, wait for the next event; False when
        nothing is left.

        The commands start first: the bookkeeping of the tasks that ended in the last wait
        (their events, watch entry, progress line) is done while the new commands run, so
        with many quick tasks the children are not left idle waiting for it (issue 15 P1)."""
        self._start_ready()
        self._settle()
        self.rec.boundary()
        if not self.active:
            return self.sched.has_ready()
        self.rec.maybe_flush()
        timeout = self.rec.seconds_to_flush()
        if self.gated:
            timeout = min(timeout, self._approvals_arrived())
        if self.sleepers:
            timeout = min(timeout, max(0.0, self.sleepers[0][0] - time.monotonic()))
        # what happened is on screen within FLUSH_AFTER: sent when due, and a wait that would
        # outlast that comes back to send it (quick tasks: one write per batch, not per round)
        shown = self.progress.due()
        if shown == 0.0:
            self.progress.flush()
        elif shown is not None:
            timeout = min(timeout, shown)
        # kept on the driver until each is handed on: an interrupt in between (in a spawn
        # below) leaves the rest to _stop_all, which records them (a reaped child is not live)
        self._reaped = self.children.wait(max(0.001, timeout))
        while self._reaped:
            child, outcome = self._reaped.pop(0)
            self._advance(str(child.key), outcome)
            self._start_ready()  # its slot, before the next ended task's own steps
        now = time.monotonic()
        while self.sleepers and self.sleepers[0][0] <= now:
            _, tid = heapq.heappop(self.sleepers)
            self._advance(tid, None)
        return True

    def _start_ready(self) -> None:
        """Start ready tasks in the free slots (decide()'s answer first: see _fill).

        What happened before is journaled first, in one write: a run killed once the new
        commands run loses at most the tasks in flight (record.py), not the ones that ended."""
        to_start = self._fill(self._jobs - len(self.active))
        if to_start:
            self.rec.boundary()
        for task in to_start:
            self.active[task.id] = self._run_task(self.ctx, task, self.inputs[task.id].digest)
            self._advance(task.id, None)

    def _stop_all(self) -> None:
        # ended on their own in the last wait, not handed on yet: their tasks hear it first, as
        # if the interrupt came after (a task whose last command passed completes; a next
        # command it starts is stopped below with the rest)
        while self._reaped:
            child, outcome = self._reaped.pop(0)
            self._advance(str(child.key), outcome)
        ended, self.children.ended = self.children.ended, []  # reaped by the wait cut short
        ended += self.children.wait(0)  # ended on their own, not reaped yet: their ends are theirs
        for child, outcome in ended:
            self._advance(str(child.key), outcome)
        self.ctx.stopping = True
        for child, outcome in self.children.stop_all():
            self._advance(str(child.key), outcome)
        for _, tid in self.sleepers:
            if tid in self.active:
                self._advance(tid, None)
        for tid, gen in list(self.active.items()):
            gen.close()
            del self.active[tid]

    def _approvals_arrived(self) -> float:
        """While tasks still run, a gate approved from another shell opens at once.

        Looked at once a second (returns the seconds to the next look), and reads events
        only when someone else moved the state branch."""
        now = time.monotonic()
        if now < self._gate_check:
            return self._gate_check - now
        self._gate_check = now + GATE_CHECK_EVERY
        waiting = [t for t, g in self.gated.items() if self.sched.state.get(t) == "awaiting_approval"]
        if waiting:
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
            from gitorch.gitcmd import git

            parent = git(["rev-parse", "-q", "--verify", f"{tip}^"], self.lp.repo_root, check=False)
            if parent.stdout.decode().strip() == seen:
                return
        known = {a.id for a in self.history.approvals}
        new = [e for e in self.store.events(types=["approved"])
               if isinstance(e, ev.Approved) and e.id not in known]
        if not new:
            return
        self.history.approvals.extend(new)
        from gitorch.engine.gates import APPLY_PATCH, matches

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
                from gitorch.engine.runner import TaskResult

                del self.active[tid]
                reason = f"internal error: {type(exc).__name__}: {exc}"
                failed = ev.TaskFailed(run=self.run_id, task=tid, reason=reason)
                self._finished(TaskResult(tid, "failed", [failed], {}, reason, 0.0))
                return
            if isinstance(req, self._sleep):
                heapq.heappush(self.sleepers, (time.monotonic() + req.seconds, tid))
                return
            self.rec.boundary()  # what ended before this command starts is journaled first
            started = self.children.spawn(req.cmd, cwd=req.cwd, env=req.env, log_path=req.log_path,
                                          timeout=req.timeout, key=tid)
            if not isinstance(started, self._outcome):
                return
            value = started  # could not start: the task hears it at once

    def _fill(self, slots: int) -> list[Task]:
        """Pop ready tasks and carry out decide()'s answer: skip, hold at a gate, or start
        (up to `slots`)."""
        out: list[Task] = []
        while slots > 0 and self.sched.has_ready():
            tid = self.sched.pop()
            task = self.lp.by_id[tid]
            # dependencies that ran in this run may have new digests (their outputs)
            cur = self.inputs[tid] = inp.rebind(
                self.inputs[tid], {d: self.inputs[d].digest for d in self.inputs[tid].deps})
            d = decide(task, plan=self.plan, plan_digest=self.lp.digest, inputs=cur.digest,
                       last=self.history.passes.get(tid), approvals=self.history.approvals,
                       force=self.opts.force)
            if d.action == "skip":
                self.watch.skipped(tid, cur, self.history.passes[tid])
                self._held(tid, "skipped", ev.Skipped(run=self.run_id, task=tid, reason=d.reason))
                continue
            cached = self.cache.hit(task, cur.digest) if d.action == "run" and self.cache else None
            if cached is not None:  # another clone or CI job passed it on these inputs
                self._held(tid, "skipped", ev.Skipped(run=self.run_id, task=tid, reason=cached))
                continue
            if d.action == "await_approval" and d.gate is not None:
                self.gated[tid] = d.gate
                self.stale[tid] = d.stale
                self._held(tid, "awaiting_approval", ev.AwaitingApproval(run=self.run_id, task=tid,
                                                                          gate=d.gate))
                continue
            # made and added now (journaled before its command starts); its line by _settle
            started = ev.TaskStarted(run=self.run_id, task=tid, inputs=cur.digest, session=self.ctx.session)
            self.rec.add([started])
            self._records.append(started)
            out.append(task)
            slots -= 1
        return out

    def _held(self, tid: str, state: TaskState, event: ev.Event) -> None:
        """A ready task that does not start: skipped, or held at a gate."""
        self.sched.finish(tid, state)
        self.rec.add([event])
        self._records.append((event, state))

    def _finished(self, res: TaskResult) -> None:
        """What a task's end changes for the tasks after it, at once: its final inputs, its
        state in the scheduler (dependents ready, or blocked). Recording it waits for
        `_settle`, after the next commands have started."""
        self.results[res.task] = res
        started = ""
        if res.outcome == "completed":
            # the digest the task passed on: its paths as it left them (its outputs included);
            # its task_completed carries the digest it started with, kept when they are the same
            started = self.inputs[res.task].digest
            final = self.inputs[res.task] = self._final_inputs(res.task)
            if final.digest != started:
                res.events = [msgspec.structs.replace(e, inputs=final.digest)
                              if isinstance(e, ev.TaskCompleted) else e for e in res.events]
            self.completed_now.append(res.task)
        if res.outcome == "awaiting_approval":  # its gate holds the result (apply_patch)
            self.gated[res.task] = res.reason
        state = _OUTCOME_STATE.get(res.outcome, "interrupted")
        # its blocked dependents' events made now: ids follow the order things happened in
        blocked = [ev.TaskBlocked(run=self.run_id, task=tid, blocked_by=[res.task])
                   for tid in self.sched.finish(res.task, state)]
        # its events now, in the order things happened: journaled before the next spawn
        self.rec.add(res.events, res.files)
        if blocked:
            self.rec.add(blocked)
        self._records.append((res, state, started, blocked))

    def _settle(self) -> None:
        """Finish recording what happened since the last call, in the order it happened (the
        events are in `rec` already): progress lines, and the watch and cache entries of the
        tasks that completed. A record counts as done once all of it is done: one an interrupt
        cut short is done again at the loop's end (each step may be repeated)."""
        records, self._records = self._records, []
        done = 0
        try:
            for record in records:
                self._record(record)
                done += 1
        finally:
            if done < len(records):  # interrupted (Ctrl-C): the rest is recorded at the loop's end
                self._records[:0] = records[done:]

    def _record(self, record: _Record) -> None:
        if isinstance(record, ev.TaskStarted):
            self.progress.task_started(str(record.task))
            return
        if len(record) == 2:
            event, held = record
            self.progress.task_finished(str(event.task), held, 0.0)
            return
        res, state, started, blocked = record
        if res.outcome == "completed":  # after its events (added by _finished): see _settle
            if self.cache is not None:  # keyed by its inputs before it ran
                self.cache.record(self.lp.by_id[res.task], started, self.run_id)
            self.watch.passed(res.task, self.inputs[res.task], self.run_id, self.commit or "")
        for event in blocked:
            self.progress.task_finished(str(event.task), "blocked", 0.0)
        self.progress.task_finished(res.task, state if state != "waiting" else "in_progress", res.duration)

    def _final_inputs(self, tid: str) -> inp.TaskInputs:
        """A task's inputs as it left them: unchanged when nothing below its paths changed
        since the run read them (the file system's change times), else read again from git."""
        cur, root = self.inputs[tid], self.lp.repo_root
        if self.mark is not None and inp.untouched_since(root, cur.paths, self.mark):
            return cur
        return inp.refresh(cur, root)
