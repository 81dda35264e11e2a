"""The edit step: run the agent, keep its patch as evidence, verify, and try again.

A task the agent works on (`agent: true`, or a type the plan maps to the agent in
`orchestrator.agent_types`, with no commands of its own) runs this loop in place of its
commands: the agent command gets the task's context pack as its prompt; gitorch then
snapshots the work tree, records the patch (`patch_applied`, the diff on the state
branch), undoes changes to forbidden paths, and runs the task's shards and acceptance
checks itself. A failure feeds the next prompt (which step, its output, the diff so far)
until the checks pass, the attempts run out, or the run stops.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gitorch import events as ev
from gitorch.agent.held import APPLY_PATCH, apply, close_worktree, open_worktree
from gitorch.agent.patch import Patch, between, forbidden, revert, snapshot
from gitorch.agent.prompt import Failure, render
from gitorch.plan.model import Retry, Task
from gitorch.store.layout import patch_path
from gitorch.words import plural

if TYPE_CHECKING:
    from gitorch.secrets.redact import Redactor

Steps = Generator[Any, Any, Any]  # the runner's task steps: yields requests, returns the verdict


class RunFacts(Protocol):
    """What the edit step needs of the run (the runner's RunContext)."""

    @property
    def run(self) -> str: ...
    @property
    def scratch(self) -> Path: ...
    @property
    def repo_root(self) -> Path: ...
    @property
    def redactor(self) -> Redactor: ...
    @property
    def stopping(self) -> bool: ...


class TaskRun(Protocol):
    """What the edit step needs of the task being run (the runner's TaskRun)."""

    @property
    def ctx(self) -> RunFacts: ...
    @property
    def task(self) -> Task: ...
    @property
    def inputs(self) -> str | None: ...

    root: Path
    events: list[ev.Event]
    files: dict[str, bytes]

    def emit(self, event: ev.Event) -> None: ...

    def command(self, name: str, cmd: str, *, shard: str | None, timeout: float | None,
                retry: Retry) -> Steps: ...


PLACEHOLDER = "{prompt}"


@dataclass(frozen=True)
class HeldPatch:
    """A passing patch held for the `apply_patch` gate, and whether it is approved."""

    event: ev.PatchApplied
    diff: bytes
    approved: bool


@dataclass(frozen=True)
class AgentSetup:
    """How this run reaches its agent."""

    command: str  # `{prompt}` becomes the prompt file's path; without it the prompt is stdin
    attempts: int
    does: Callable[[Task], bool]  # the tasks the plan hands to the agent (Plan.agent_does)
    pack_for: Callable[[Task], str]  # the task's context pack, as text
    gated: Callable[[Task], bool] = lambda task: False  # whether apply_patch holds its patch
    held: Callable[[Task, str | None], HeldPatch | None] = lambda task, inputs: None

    def wants(self, task: Task) -> bool:
        """Whether the agent does `task`'s edit step."""
        return self.does(task)

    def steps(self, tr: TaskRun, verify: Callable[[], Steps]) -> Steps:
        """The edit step (the engine's EditStep role)."""
        return edit_steps(tr, self, verify)


def command_line(command: str, prompt_file: str) -> str:
    """The shell command that gives the agent its prompt."""
    quoted = shlex.quote(prompt_file)
    if PLACEHOLDER in command:
        return command.replace(PLACEHOLDER, quoted)
    return f"{command} < {quoted}"


def edit_steps(tr: TaskRun, setup: AgentSetup, verify: Callable[[], Steps]) -> Steps:
    """The edit step; returns None when the task's checks pass, else why not (as `verify`
    does; "awaiting: apply_patch" when its patch waits for approval)."""
    if setup.gated(tr.task):
        return (yield from _held_steps(tr, setup, verify))
    work = _workdir(tr)
    start = snapshot(tr.root, work / f"{_name(tr.task.id)}.index")
    return (yield from _attempts(tr, setup, verify, start))


def _attempts(tr: TaskRun, setup: AgentSetup, verify: Callable[[], Steps], start: str) -> Steps:
    """Prompt, agent, patch, verify; again with the evidence, up to the attempts."""
    ctx, task = tr.ctx, tr.task
    work = _workdir(tr)
    index = work / f"{_name(task.id)}.index"
    patterns = list(dict.fromkeys([*task.constraints.forbidden, *task.paths.forbidden]))
    failure: Failure | None = None
    reason = "the agent was not run"
    for attempt in range(1, setup.attempts + 1):
        if ctx.stopping or getattr(tr, "over", False):  # stopped, or the timebox ran out
            return reason
        before = snapshot(tr.root, index) if attempt > 1 else start
        so_far = between(tr.root, start, before).diff.decode(errors="replace") if attempt > 1 else ""
        prompt = render(setup.pack_for(task), attempt, setup.attempts, failure, ctx.redactor.redact(so_far))
        prompt_file = work / f"{_name(task.id)}-{attempt}.prompt.md"
        prompt_file.write_text(prompt, encoding="utf-8")
        status, evidence = yield from tr.command(
            "agent", command_line(setup.command, str(prompt_file)), shard=None,
            timeout=task.constraints.timeout, retry=Retry())
        patch = between(tr.root, before, snapshot(tr.root, index))
        undone = forbidden(patch.files, patterns)
        if undone:
            revert(tr.root, before, undone)
        _record(tr, attempt, patch, undone)
        if undone:
            reason = "the agent changed forbidden paths (undone): " + ", ".join(undone)
            failure = Failure(reason)
        elif status != 0:
            reason = f"the agent command exited {status}"
            failure = Failure(reason, "agent", str(evidence.get("excerpt", "")))
        else:
            mark = len(tr.events)
            verdict = yield from verify()
            if verdict is None:
                return None
            reason = verdict
            failure = _failure(verdict, tr.events[mark:])
    return f"agent: {plural(setup.attempts, 'attempt')} without passing; last: {reason}"


def _held_steps(tr: TaskRun, setup: AgentSetup, verify: Callable[[], Steps]) -> Steps:
    """apply_patch: work in a worktree and hold the patch; once approved, apply and verify."""
    ctx, task = tr.ctx, tr.task
    held = setup.held(task, tr.inputs)
    if held is not None:
        if not held.approved:
            return f"awaiting: {APPLY_PATCH}"
        why = apply(tr.root, held.diff)
        if why is not None:
            return f"the approved patch no longer applies cleanly ({why}); nothing was applied"
        e = held.event
        tr.emit(ev.PatchApplied(run=ctx.run, task=task.id, paths=list(e.paths), attempt=e.attempt,
                                added=e.added, removed=e.removed, tree=e.tree, diff=e.diff,
                                stage="applied"))
        return (yield from verify())
    work = _workdir(tr)
    start = snapshot(tr.root, work / f"{_name(task.id)}.index")
    branch = f"orch-agent/{_name(ctx.run)}/{_name(task.id)}"
    where = open_worktree(ctx.repo_root, work / f"{_name(task.id)}.worktree", start, branch)
    home, tr.root = tr.root, where
    try:
        reason = yield from _attempts(tr, setup, verify, start)
        total = between(where, start, snapshot(where, work / f"{_name(task.id)}.index"))
    finally:
        tr.root = home
        close_worktree(ctx.repo_root, where, branch)
    if reason is not None:
        return reason
    last = max((e.attempt for e in tr.events if isinstance(e, ev.PatchApplied)), default=1)
    _record(tr, last, total, [], stage="held")
    return f"awaiting: {APPLY_PATCH}"


def _workdir(tr: TaskRun) -> Path:
    work = tr.ctx.scratch / "agent" / tr.ctx.run
    work.mkdir(parents=True, exist_ok=True)
    return work


def _record(tr: TaskRun, attempt: int, patch: Patch, undone: list[str], stage: str = "edit") -> None:
    """A patch_applied event for the attempt, and its diff on the state branch."""
    ctx = tr.ctx
    diff = None
    if patch.diff:
        diff = patch_path(ctx.run, tr.task.id, attempt if stage == "edit" else stage)
        tr.files[diff] = ctx.redactor.redact_bytes(patch.diff)
    tr.emit(ev.PatchApplied(
        run=ctx.run, task=tr.task.id, paths=patch.files, attempt=attempt, added=patch.added,
        removed=patch.removed, tree=patch.after, diff=diff, reverted=undone, stage=stage,
    ))


def _failure(reason: str, events: list[ev.Event]) -> Failure:
    """The failing step of a verification and its output, from the events it recorded."""
    for e in reversed(events):
        if isinstance(e, ev.AcceptanceFailed):
            return Failure(reason, e.check, _evidence_text(e.evidence))
        if isinstance(e, ev.CommandRun) and e.status != 0:
            return Failure(reason, f"command {e.name}: {e.cmd}", e.excerpt)
    return Failure(reason)


def _evidence_text(evidence: dict[str, Any]) -> str:
    for key in ("excerpt", "reason", "detail", "message"):
        if evidence.get(key):
            return str(evidence[key])
    return "\n".join(f"{k}: {v}" for k, v in evidence.items())


def _name(task: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in task) or "_"
