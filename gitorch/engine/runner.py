"""One task: its commands in order, then its shards (commands and acceptance), then its
acceptance checks. A task is completed only on evidence gathered here.

A task is a generator: it yields what it needs done outside (`Spawn` a command, `Sleep`
before a retry) and gets the outcome back, so one thread drives every running task
(no thread per task, no lock). It returns a `TaskResult` with its events instead of
writing them: the scheduler journals them at the task boundary.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import msgspec

from gitorch import events as ev
from gitorch.engine.checks import CheckContext, describe, evaluate
from gitorch.engine.inputs import read_worktree
from gitorch.engine.outputlog import DEFAULT_LIMIT, keep_output
from gitorch.engine.process import CommandOutcome
from gitorch.errors import OrchError
from gitorch.gitcmd import git
from gitorch.plan.acceptance import parse_duration
from gitorch.plan.model import Check, CommandCheck, Retry, Shard, Task
from gitorch.secrets.redact import Redactor

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class Spawn(msgspec.Struct, frozen=True):
    """Run `cmd` (sh -c) in `cwd` with `env`, output to `log_path`; send back a CommandOutcome."""

    cmd: str
    cwd: Path
    env: Mapping[bytes, bytes]  # encoded once per run (RunContext.spawn_env), as posix_spawn takes it
    log_path: Path
    timeout: float | None


class Sleep(msgspec.Struct, frozen=True):
    """Wait `seconds` (a retry's backoff); send back None."""

    seconds: float


Request = Spawn | Sleep
Steps = Generator[Request, Any, Any]


class EditStep(Protocol):
    """Who changes the files of the tasks it wants before gitorch verifies them (the edit
    step; gitorch.agent runs an agent command). The engine never imports its maker."""

    def wants(self, task: Task) -> bool: ...

    def steps(self, tr: Any, verify: Callable[[], Steps]) -> Steps:
        """The edit step of the task `tr` runs; `verify` runs the task's own steps."""
        ...


class RunContext(msgspec.Struct, dict=True):
    """What every task of a run shares."""

    run: str
    root: Path  # where commands run (the repo root, or project.root under it)
    repo_root: Path  # the repository's work tree (for forbidden-path checks)
    scratch: Path  # machine-local directory for command output while it runs
    excerpt_bytes: int
    redactor: Redactor
    base_env: Mapping[str, str]
    env_for: Callable[[Task], Mapping[str, str]]  # the secrets a task declares
    root_for: Callable[[Task], Path] | None = None  # cross-repo tasks (`repo:`)
    agent: EditStep | None = None  # who does the edit step of agent tasks (gitorch.agent)
    stopping: bool = False  # set on Ctrl-C: no new command, no retry
    log_bytes: int = DEFAULT_LIMIT  # of one command's output kept in its log (head and tail)

    def __post_init__(self) -> None:
        self.out_dir = self.scratch / "out" / self.run
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._n = 0
        self._free: list[Path] = []
        self.session = ev.default_session()  # of every event the run's tasks make
        # posix_spawn encodes a str environment anew for every command (~15k instructions)
        self._env = {os.fsencode(k): os.fsencode(v) for k, v in self.base_env.items()}

    def spawn_env(self, task: Task) -> Mapping[bytes, bytes]:
        """The environment `task`'s commands run in: the run's, with the task's own (env_for)."""
        extra = self.env_for(task)
        if not extra:
            return self._env
        return {**self._env, **{os.fsencode(k): os.fsencode(v) for k, v in extra.items()}}

    def log_path(self) -> Path:
        """A file for a command's output (reused once empty: no create/unlink per command)."""
        if self._free:
            return self._free.pop()
        self._n += 1
        return self.out_dir / f"{os.getpid()}-{self._n}.log"

    def release(self, path: Path) -> None:
        self._free.append(path)


class TaskResult(msgspec.Struct):
    """A finished task: its outcome, the events to record, log files for the branch."""

    task: str
    outcome: str  # completed | failed | waiting | interrupted
    events: list[ev.Event]
    files: dict[str, bytes] = msgspec.field(default_factory=dict)
    reason: str = ""
    duration: float = 0.0


class TaskRun:
    """The mutable record of one task execution."""

    def __init__(self, ctx: RunContext, task: Task, inputs: str | None) -> None:
        self.ctx, self.task, self.inputs = ctx, task, inputs
        self.events: list[ev.Event] = []
        self.files: dict[str, bytes] = {}
        self.n = 0
        self.root = ctx.root_for(task) if ctx.root_for and task.repo else ctx.root
        self.env = ctx.spawn_env(task)
        box = task.constraints.timebox
        # the whole task's budget: commands, shards, checks and retries (validated at load)
        self.deadline = time.monotonic() + parse_duration(box) if box else None
        self.over = False  # the timebox ran out
        self._boxed = False  # the command `request` started stops at the timebox, not its timeout

    def left(self) -> float | None:
        """Seconds of the timebox left (None: no timebox)."""
        return None if self.deadline is None else self.deadline - time.monotonic()

    def emit(self, event: ev.Event) -> None:
        self.events.append(event)

    def command(self, name: str, cmd: str, *, shard: str | None, timeout: float | None,
                retry: Retry) -> Steps:
        """Run one command with retries; a command_run event per attempt. -> (status, evidence)"""
        attempts = max(1, retry.attempts)
        status: int | None = None
        evidence: dict[str, Any] = {}
        for attempt in range(1, attempts + 1):
            status, evidence = yield from self._once(name, cmd, shard=shard, timeout=timeout,
                                                     attempt=attempt)
            if status == 0 or self.ctx.stopping or self.over or attempt == attempts:
                break
            delay = min(retry.max_backoff, retry.backoff * (2 ** (attempt - 1)))
            import random  # only for a retry (its import ~1 ms of every run's start)

            delay *= random.uniform(0.5, 1.0)  # jitter spreads parallel retries
            left = self.left()
            if left is not None and delay >= left:
                self.over = True  # no time for another try
                break
            yield Sleep(delay)
        return status, evidence

    def _once(self, name: str, cmd: str, *, shard: str | None, timeout: float | None,
              attempt: int) -> Steps:
        req = self.request(cmd, timeout)
        out: CommandOutcome = req if isinstance(req, CommandOutcome) else (yield req)
        event = self.ran(name, cmd, shard, attempt, req, out)
        evidence: dict[str, Any] = {"cmd": event.cmd, "exit_code": out.status, "duration": event.duration}
        if out.timed_out:
            evidence["timed_out"] = True
        if out.error:
            evidence["error"] = out.error
        if event.log:
            evidence["log"] = event.log
        if event.excerpt:
            evidence["excerpt"] = event.excerpt[-500:]
        return out.status, evidence

    def request(self, cmd: str, timeout: float | None) -> Spawn | CommandOutcome:
        """What starts `cmd` (a Spawn, for the driver), or the outcome of a command that does
        not start (Ctrl-C, the timebox spent). Its end goes to `ran`."""
        self.n += 1
        if self.ctx.stopping:
            return CommandOutcome(None, 0.0, False, 0, "interrupted before start")
        left = self.left()
        if left is not None and left <= 0:
            self.over = True
            box = self.task.constraints.timebox
            return CommandOutcome(None, 0.0, False, 0, f"not started: timebox {box} exceeded")
        self._boxed = left is not None and (timeout is None or left < timeout)
        return Spawn(cmd, self.root, self.env, self.ctx.log_path(), left if self._boxed else timeout)

    def ran(self, name: str, cmd: str, shard: str | None, attempt: int, req: Spawn | CommandOutcome,
            out: CommandOutcome) -> ev.CommandRun:
        """Record how the command `request` answered with `req` ended: its output kept (redacted)
        for the branch, its command_run event. -> that event"""
        ctx = self.ctx
        log: str | None = None
        excerpt = ""
        if type(req) is Spawn:
            tmp_log = req.log_path
            if self._boxed and out.timed_out:
                self.over = True
                out.error = f"stopped: timebox {self.task.constraints.timebox} exceeded"
            if out.size:
                kept = keep_output(tmp_log, out.size, ctx.redactor, ctx.log_bytes, ctx.excerpt_bytes)
                excerpt = kept.excerpt
                label = f"{shard}.{name}" if shard else name
                log = f"logs/{_safe(ctx.run)}/{_safe(self.task.id)}/{self.n}-{_safe(label)}.log"
                self.files[log] = kept.log
                # emptied now, not when reused: the raw output (secrets unmasked) leaves the disk
                # as soon as its redacted copy is kept, and a large one frees its space
                os.truncate(tmp_log, 0)
            ctx.release(tmp_log)
        if out.error and not out.timed_out:
            excerpt = (excerpt + f"\n[gitorch: {out.error}]").lstrip("\n")
        event = ev.CommandRun(
            run=ctx.run, task=self.task.id, shard=shard, name=name, cmd=ctx.redactor.redact(cmd),
            status=out.status, duration=round(out.duration, 4), attempt=attempt, excerpt=excerpt,
            log=log, timed_out=out.timed_out, session=ctx.session,
        )
        self.events.append(event)
        return event

    def checks(self, checks: Sequence[Check], shard: str | None) -> Steps:
        """Evaluate every check (not only up to the first failure). -> labels of failed ones"""
        timeout = self.task.constraints.timeout
        repository = self.root if self.task.repo else self.ctx.repo_root
        cctx = CheckContext(root=self.root, preferred=self.task.paths.preferred, repository=repository)
        failed: list[str] = []
        for check in checks:
            label = self.ctx.redactor.redact(describe(check))
            if isinstance(check, CommandCheck):
                status, evidence = yield from self.command(
                    "check", check.run, shard=shard, timeout=check.timeout or timeout, retry=Retry())
                evidence["expected_exit_code"] = check.exit_code
                passed = status == check.exit_code
            else:
                passed, evidence = evaluate(check, cctx)
            evidence = self.ctx.redactor.redact_obj(evidence)
            cls = ev.AcceptancePassed if passed else ev.AcceptanceFailed
            self.emit(cls(run=self.ctx.run, task=self.task.id, shard=shard, check=label, evidence=evidence))
            if not passed:
                failed.append(label)
        return failed


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name) or "_"


def _forbidden_oids(root: Path, patterns: Sequence[str]) -> dict[str, str]:
    tree = read_worktree(root)
    return {p: tree.oids[p] for p in tree.match(patterns)}


def run_task(ctx: RunContext, task: Task, inputs: str | None = None) -> Steps:
    """Execute `task` (a generator of Requests) and return how it ended (TaskResult)."""
    if (task.shards or task.acceptance or task.retry.attempts > 1 or task.constraints.timebox
            or task.constraints.forbidden or task.paths.forbidden or task.repo
            or (ctx.agent is not None and ctx.agent.wants(task))):
        return _full_task(ctx, task, inputs)
    return _plain_task(ctx, task, inputs)


def _plain_task(ctx: RunContext, task: Task, inputs: str | None) -> Steps:
    """The common task, commands alone (no shard, check, retry, timebox, forbidden path, other
    repository or edit step): what `_full_task` does for it, the same events, in one generator
    (each outcome is sent to it, not passed down through three: issue 15 P1)."""
    start = time.monotonic()
    try:
        tr = TaskRun(ctx, task, inputs)
    except OrchError as exc:  # a secret not set
        return _not_started(ctx, task, exc)
    reason: str | None = None
    timeout = task.constraints.timeout
    for name, cmd in task.commands.items():
        req = tr.request(cmd, timeout)
        out: CommandOutcome = req if isinstance(req, CommandOutcome) else (yield req)
        tr.ran(name, cmd, None, 1, req, out)
        if out.status != 0:
            reason = command_failure(name, out.status, {"timed_out": out.timed_out, "error": out.error})
            break
    return _ended(tr, start, reason)


def _full_task(ctx: RunContext, task: Task, inputs: str | None) -> Steps:
    start = time.monotonic()
    try:
        tr = TaskRun(ctx, task, inputs)
    except OrchError as exc:  # a secret not set, a workspace repo not checked out
        return _not_started(ctx, task, exc)
    if task.repo:
        # a cross-repo task: record which commit of that repository it ran on
        head = git(["rev-parse", "--verify", "-q", "HEAD"], tr.root, check=False).stdout.decode().strip()
        tr.emit(ev.TaskRepo(run=ctx.run, task=task.id, repo=task.repo, path=str(tr.root),
                            commit=head or None))
    forbidden = list(dict.fromkeys([*task.constraints.forbidden, *task.paths.forbidden]))
    before = _forbidden_oids(ctx.repo_root, forbidden) if forbidden else {}
    agent = ctx.agent  # the agent's edit step where the task has one, then its own steps
    if agent is not None and agent.wants(task):
        reason = yield from agent.steps(tr, lambda: _task_steps(tr))
    else:
        reason = yield from _task_steps(tr)
    if tr.over:
        reason = f"timebox {task.constraints.timebox} exceeded"
    if reason is None and forbidden and not ctx.stopping:
        after = _forbidden_oids(ctx.repo_root, forbidden)
        touched = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        if touched:
            reason = "changed forbidden path" + ("s " if len(touched) > 1 else " ") + ", ".join(touched)
    return _ended(tr, start, reason)


def _not_started(ctx: RunContext, task: Task, exc: OrchError) -> TaskResult:
    failed = ev.TaskFailed(run=ctx.run, task=task.id, reason=exc.message, duration=0.0)
    return TaskResult(task.id, "failed", [failed], {}, exc.message, 0.0)


def _ended(tr: TaskRun, start: float, reason: str | None) -> TaskResult:
    """How the task ended: its last event and its result (`reason` None: all passed)."""
    ctx, task = tr.ctx, tr.task
    if ctx.stopping:
        return TaskResult(task.id, "interrupted", tr.events, tr.files, "interrupted",
                          time.monotonic() - start)
    duration = round(time.monotonic() - start, 4)
    if reason is None:
        tr.emit(ev.TaskCompleted(run=ctx.run, task=task.id, duration=duration, inputs=tr.inputs,
                                 session=ctx.session))
        return TaskResult(task.id, "completed", tr.events, tr.files, "", duration)
    if reason.startswith("waiting:"):
        why = reason.removeprefix("waiting:").strip()
        tr.emit(ev.TaskWaiting(run=ctx.run, task=task.id, reason=why))
        return TaskResult(task.id, "waiting", tr.events, tr.files, why, duration)
    if reason.startswith("awaiting:"):  # a gate after the work (apply_patch holds the agent's patch)
        gate = reason.removeprefix("awaiting:").strip()
        tr.emit(ev.AwaitingApproval(run=ctx.run, task=task.id, gate=gate))
        return TaskResult(task.id, "awaiting_approval", tr.events, tr.files, gate, duration)
    tr.emit(ev.TaskFailed(run=ctx.run, task=task.id, reason=reason, duration=duration))
    return TaskResult(task.id, "failed", tr.events, tr.files, reason, duration)


def _task_steps(tr: TaskRun) -> Steps:
    """Commands, shards, acceptance. -> None when all passed, else why not."""
    task = tr.task
    timeout = task.constraints.timeout
    once = task.retry.attempts <= 1  # no retry: the one attempt without command()'s loop around it
    for name, cmd in task.commands.items():
        steps = (tr._once(name, cmd, shard=None, timeout=timeout, attempt=1) if once
                 else tr.command(name, cmd, shard=None, timeout=timeout, retry=task.retry))
        status, evidence = yield from steps
        if status != 0:
            return command_failure(name, status, evidence)
    for shard in task.shards:
        t0 = time.monotonic()
        tr.emit(ev.ShardStarted(run=tr.ctx.run, task=task.id, shard=shard.id))
        why = yield from _shard_steps(tr, shard)
        duration = round(time.monotonic() - t0, 4)
        if why is not None:
            if tr.ctx.stopping:
                return why  # an interrupted shard is left to the run's interrupt record
            why = f"timebox {task.constraints.timebox} exceeded" if tr.over else why
            # the shard's own end, so views show it failed (not still in progress)
            tr.emit(ev.TaskFailed(run=tr.ctx.run, task=task.id, shard=shard.id, reason=why,
                                  duration=duration))
            return f"shard {shard.id}: {why}"
        tr.emit(ev.ShardCompleted(run=tr.ctx.run, task=task.id, shard=shard.id, duration=duration))
    failed = (yield from tr.checks(task.acceptance, None)) if task.acceptance else []
    if failed:
        from gitorch.engine.decide import is_manual  # one answer for the run, dry run and explain

        prefix = "waiting: " if is_manual(task) else ""
        return prefix + "acceptance failed: " + "; ".join(failed)
    return None


def _shard_steps(tr: TaskRun, shard: Shard) -> Steps:
    """One shard's commands, then its acceptance. -> None when all passed, else why not."""
    for name, cmd in shard.commands.items():
        status, evidence = yield from tr.command(
            name, cmd, shard=shard.id, timeout=tr.task.constraints.timeout, retry=tr.task.retry)
        if status != 0:
            return command_failure(name, status, evidence)
    failed = yield from tr.checks(shard.acceptance, shard.id)
    if failed:
        return "acceptance failed: " + "; ".join(failed)
    return None


def command_failure(name: str, status: int | None, evidence: Mapping[str, Any]) -> str:
    """Why a task's command `name` failed, from its exit status and evidence (its task's reason)."""
    if evidence.get("timed_out"):
        return f"command {name} {evidence.get('error', 'timed out')}"
    if status is None:
        return f"command {name} did not finish ({evidence.get('error', 'killed')})"
    if status == 127:
        return f"command {name} exited 127 (command not found)"
    return f"command {name} exited {status}"
