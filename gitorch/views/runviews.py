"""The views a fold makes (views/fold.py): a run's state and each task's, with the commands,
checks, patches and approvals recorded for them."""

from __future__ import annotations

from typing import Any

import msgspec

from gitorch.views.states import RunStatus, TaskState


# gc=False: thousands of these per run, never part of a reference cycle, so the cycle
# collector need not track them (a measurable share of fold time on 10,000 events).
class CommandView(msgspec.Struct, kw_only=True, gc=False):
    """One `command_run` fact."""

    name: str = ""
    cmd: str = ""
    status: int | None = None
    duration: float = 0.0
    excerpt: str = ""
    log: str | None = None
    attempt: int = 1
    timed_out: bool = False
    shard: str | None = None
    ts: str = ""


class CheckView(msgspec.Struct, kw_only=True, gc=False):
    """One acceptance result, with the evidence gitorch gathered."""

    check: str = ""
    passed: bool = False
    evidence: dict[str, Any] = {}
    shard: str | None = None
    ts: str = ""


class PatchView(msgspec.Struct, kw_only=True, gc=False):
    """One patch an agent's edit step made (docs/agents.md)."""

    attempt: int = 1
    stage: str = "edit"  # edit | held (for apply_patch) | applied (after approval)
    files: int = 0
    added: int = 0
    removed: int = 0
    reverted: list[str] = []
    diff: str | None = None  # its path on the state branch


class ApprovalView(msgspec.Struct, kw_only=True):
    """One `approved` fact: who approved which gate, bound to which plan and commit."""

    gate: str = ""
    by: str = ""
    plan_digest: str = ""
    commit: str | None = None
    ts: str = ""
    task: str | None = None
    inputs: str | None = None
    stale: bool = False  # given for another plan digest than the one the run follows now


class TaskView(msgspec.Struct, kw_only=True):
    """A task's state as its events say."""

    id: str
    state: TaskState = "pending"
    title: str = ""
    started: str | None = None  # ts of the latest task_started
    ended: str | None = None  # ts of the event that ended it (completed/failed/skipped/...)
    duration: float = 0.0  # seconds of the latest execution
    attempts: int = 0
    reason: str = ""  # why it failed, was skipped, waits, or is blocked
    gate: str | None = None  # the gate it waits for (awaiting_approval)
    approved_by: str | None = None  # who approved that gate, when an approval matches it
    blocked_by: list[str] = []
    inputs: str | None = None  # inputs digest from the last task_started/task_completed
    commands: list[CommandView] = []
    checks: list[CheckView] = []
    patches: list[PatchView] = []  # an agent's edit step, attempt by attempt
    shards: dict[str, TaskState] = {}  # shard id -> state


class RunView(msgspec.Struct, kw_only=True):
    """A run's state as its events say."""

    id: str
    plan_digest: str = ""  # the plan the run follows now (a plan_updated event changes it)
    plan_file: str = ""
    plan_changes: list[str] = []  # what plan_updated events said changed, in order
    commit: str | None = None
    tree: str | None = None  # the verified tree when the work tree had uncommitted changes
    dirty: int = 0  # how many files differed from `commit` (0: the commit itself was verified)
    started: str = ""
    ended: str | None = None
    updated: str = ""  # ts of the run's latest event
    duration: float = 0.0  # seconds the run was active (sum of its started/resumed segments)
    status: RunStatus = "running"
    jobs: int = 1
    targets: list[str] = []
    tasks: dict[str, TaskView] = {}
    failures: list[str] = []
    awaiting: list[tuple[str, str]] = []
    approvals: list[ApprovalView] = []
    events: int = 0  # how many events the run has
