"""One task: its commands in order, then its shards (commands and acceptance), then its
acceptance checks. A task is completed only on evidence gathered here.

The runner returns events instead of writing them: the scheduler (one thread) journals
them at the task boundary, so a worker thread never touches the store.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from gitorch import events as ev
from gitorch.engine.checks import CheckContext, describe, evaluate
from gitorch.engine.inputs import read_worktree
from gitorch.engine.process import ProcessTable, run_shell, tail
from gitorch.plan.model import Check, Retry, Task
from gitorch.secrets.redact import Redactor

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class RunContext:
    """What every task of a run shares."""

    run: str
    root: Path  # where commands run (the repo root, or project.root under it)
    repo_root: Path  # the repository's work tree (for forbidden-path checks)
    scratch: Path  # machine-local directory for command output while it runs
    excerpt_bytes: int
    redactor: Redactor
    table: ProcessTable
    base_env: Mapping[str, str]
    env_for: Callable[[Task], Mapping[str, str]]  # the secrets a task declares
    root_for: Callable[[Task], Path] | None = None  # cross-repo tasks (`repo:`)


@dataclass
class TaskResult:
    """A finished task: its outcome, the events to record, log files for the branch."""

    task: str
    outcome: str  # completed | failed | waiting | interrupted
    events: list[ev.Event]
    files: dict[str, bytes] = field(default_factory=dict)
    reason: str = ""
    duration: float = 0.0


class _TaskRun:
    """The mutable record of one task execution."""

    def __init__(self, ctx: RunContext, task: Task, inputs: str | None) -> None:
        self.ctx, self.task, self.inputs = ctx, task, inputs
        self.events: list[ev.Event] = []
        self.files: dict[str, bytes] = {}
        self.n = 0
        self.root = ctx.root_for(task) if ctx.root_for else ctx.root
        self.env = {**ctx.base_env, **ctx.env_for(task)}
        tmp = ctx.scratch / "out" / ctx.run
        tmp.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp

    def emit(self, event: ev.Event) -> None:
        self.events.append(event)

    def command(
        self, name: str, cmd: str, *, shard: str | None, timeout: float | None, retry: Retry,
    ) -> tuple[int | None, dict[str, Any]]:
        """Run one command with retries; record a command_run event per attempt."""
        attempts = max(1, retry.attempts)
        status: int | None = None
        evidence: dict[str, Any] = {}
        for attempt in range(1, attempts + 1):
            status, evidence = self._once(name, cmd, shard=shard, timeout=timeout, attempt=attempt)
            if status == 0 or self.ctx.table.stopping.is_set() or attempt == attempts:
                break
            delay = min(retry.max_backoff, retry.backoff * (2 ** (attempt - 1)))
            delay *= random.uniform(0.5, 1.0)  # jitter, so retries of parallel tasks spread out
            if self.ctx.table.stopping.wait(delay):
                break
        return status, evidence

    def _once(
        self, name: str, cmd: str, *, shard: str | None, timeout: float | None, attempt: int,
    ) -> tuple[int | None, dict[str, Any]]:
        ctx = self.ctx
        self.n += 1
        label = f"{shard}.{name}" if shard else name
        tmp_log = self.tmp / f"{os.getpid()}-{threading.get_ident()}-{self.n}.log"
        out = run_shell(cmd, cwd=self.root, env=self.env, log_path=tmp_log, timeout=timeout,
                        table=ctx.table)
        log: str | None = None
        excerpt = ""
        if out.size:
            excerpt = ctx.redactor.redact(tail(tmp_log, out.size, ctx.excerpt_bytes))
            log = f"logs/{_safe(ctx.run)}/{_safe(self.task.id)}/{self.n}-{_safe(label)}.log"
            self.files[log] = ctx.redactor.redact_bytes(tmp_log.read_bytes())
        if out.error and not out.timed_out:
            excerpt = (excerpt + f"\n[gitorch: {out.error}]").lstrip("\n")
        tmp_log.unlink(missing_ok=True)
        shown = ctx.redactor.redact(cmd)
        self.emit(ev.CommandRun(
            run=ctx.run, task=self.task.id, shard=shard, name=name, cmd=shown, status=out.status,
            duration=round(out.duration, 4), attempt=attempt, excerpt=excerpt, log=log,
            timed_out=out.timed_out,
        ))
        evidence: dict[str, Any] = {"cmd": shown, "exit_code": out.status,
                                    "duration": round(out.duration, 4)}
        if out.timed_out:
            evidence["timed_out"] = True
        if out.error:
            evidence["error"] = out.error
        if log:
            evidence["log"] = log
        if excerpt:
            evidence["excerpt"] = excerpt[-500:]
        return out.status, evidence

    def checks(self, checks: Sequence[Check], shard: str | None) -> list[str]:
        """Evaluate every check (not only up to the first failure); the failed ones' labels."""
        timeout = self.task.constraints.timeout

        def run_check(cmd: str, name: str, t: float | None) -> tuple[int | None, dict[str, Any]]:
            return self.command(name, cmd, shard=shard, timeout=t or timeout, retry=Retry())

        cctx = CheckContext(root=self.root, preferred=self.task.paths.preferred, run_command=run_check)
        failed: list[str] = []
        for check in checks:
            label = self.ctx.redactor.redact(describe(check))
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


def run_task(ctx: RunContext, task: Task, inputs: str | None = None) -> TaskResult:
    """Execute `task` and say how it ended; never raises for a failing command or check."""
    start = time.monotonic()
    tr = _TaskRun(ctx, task, inputs)
    forbidden = list(dict.fromkeys([*task.constraints.forbidden, *task.paths.forbidden]))
    before = _forbidden_oids(ctx.repo_root, forbidden) if forbidden else {}
    reason = _run_steps(tr)
    if ctx.table.stopping.is_set():
        return TaskResult(task.id, "interrupted", tr.events, tr.files, "interrupted",
                          time.monotonic() - start)
    if reason is None and forbidden:
        after = _forbidden_oids(ctx.repo_root, forbidden)
        touched = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        if touched:
            reason = "changed forbidden path" + ("s " if len(touched) > 1 else " ") + ", ".join(touched)
    duration = round(time.monotonic() - start, 4)
    if reason is None:
        tr.emit(ev.TaskCompleted(run=ctx.run, task=task.id, duration=duration, inputs=inputs))
        return TaskResult(task.id, "completed", tr.events, tr.files, "", duration)
    if reason.startswith("waiting:"):
        why = reason.removeprefix("waiting:").strip()
        tr.emit(ev.TaskWaiting(run=ctx.run, task=task.id, reason=why))
        return TaskResult(task.id, "waiting", tr.events, tr.files, why, duration)
    tr.emit(ev.TaskFailed(run=ctx.run, task=task.id, reason=reason, duration=duration))
    return TaskResult(task.id, "failed", tr.events, tr.files, reason, duration)


def _run_steps(tr: _TaskRun) -> str | None:
    """Commands, shards, acceptance; None when all passed, else why not."""
    task = tr.task
    timeout = task.constraints.timeout
    for name, cmd in task.commands.items():
        status, evidence = tr.command(name, cmd, shard=None, timeout=timeout, retry=task.retry)
        if status != 0:
            return _command_failure(name, status, evidence)
    for shard in task.shards:
        t0 = time.monotonic()
        tr.emit(ev.ShardStarted(run=tr.ctx.run, task=task.id, shard=shard.id))
        for name, cmd in shard.commands.items():
            status, evidence = tr.command(name, cmd, shard=shard.id, timeout=timeout, retry=task.retry)
            if status != 0:
                return f"shard {shard.id}: " + _command_failure(name, status, evidence)
        failed = tr.checks(shard.acceptance, shard.id)
        if failed:
            return f"shard {shard.id}: acceptance failed: " + "; ".join(failed)
        tr.emit(ev.ShardCompleted(run=tr.ctx.run, task=task.id, shard=shard.id,
                                  duration=round(time.monotonic() - t0, 4)))
    failed = tr.checks(task.acceptance, None)
    if failed:
        manual = not task.commands and not any(s.commands for s in task.shards)
        prefix = "waiting: " if manual else ""
        return prefix + "acceptance failed: " + "; ".join(failed)
    return None


def _command_failure(name: str, status: int | None, evidence: Mapping[str, Any]) -> str:
    if evidence.get("timed_out"):
        return f"command {name} {evidence.get('error', 'timed out')}"
    if status is None:
        return f"command {name} did not finish ({evidence.get('error', 'killed')})"
    if status == 127:
        return f"command {name} exited 127 (command not found)"
    return f"command {name} exited {status}"


def build_task(ctx: RunContext, release: str) -> TaskResult:
    """The build phase: `project.build.release`, recorded as command_run events of the run."""
    pseudo = Task(id="(build)", title="release build", commands={"release": release})
    tr = _TaskRun(ctx, pseudo, None)
    start = time.monotonic()
    status, evidence = tr.command("release", release, shard=None, timeout=None, retry=Retry())
    # build events belong to the run, not to a task of the plan
    events = [msgspec.structs.replace(e, task=None) for e in tr.events]
    reason = "" if status == 0 else "build: " + _command_failure("release", status, evidence)
    return TaskResult("(build)", "completed" if status == 0 else "failed", list(events), tr.files,
                      reason, time.monotonic() - start)
