"""The plan (seed v1 schema) as frozen msgspec Structs; unknown keys are rejected.

Acceptance checks are stored in one structured form (a tagged union on `kind`); the
seed's strings ("Tests pass: CMD", "File exists: PATH", "Contains: TEXT [in PATH]") and the
user-facing mappings ({run: CMD}, {file_exists: P}, {contains: T, in: [P]}, …) are parsed
into it once, at load time (plan/acceptance.py).

Gates: `orchestrator.approvals.required` declares the plan's gates. A task pauses for each
gate it lists in `approvals`, and for a declared gate named like its `type` (a `deploy`
gate holds every deploy task).
"""

# No `from __future__ import annotations`: msgspec reads these types once a process, to
# decode the plan (a plan cache hit: ~1 ms of every command), and string annotations are
# compiled and evaluated one by one.
from typing import Literal

import msgspec

TaskType = Literal["code_change", "docs", "test", "release", "deploy", "chore"]
TASK_TYPES: tuple[str, ...] = ("code_change", "docs", "test", "release", "deploy", "chore")


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


# --- acceptance checks ----------------------------------------------------------------

class _Check(_Strict, tag_field="kind", frozen=True):
    label: str = ""  # how the user wrote it, for messages and reports


class CommandCheck(_Check, tag="command", kw_only=True, frozen=True):
    """Run a shell command; pass when it exits with `exit_code`."""

    run: str
    exit_code: int = 0
    timeout: float | None = None


class FileExists(_Check, tag="file_exists", kw_only=True, frozen=True):
    path: str


class FileAbsent(_Check, tag="file_absent", kw_only=True, frozen=True):
    path: str


class Contains(_Check, tag="contains", kw_only=True, frozen=True):
    """Pass when `text` occurs in one of `paths` (default: the task's preferred paths)."""

    text: str
    paths: list[str] = []


class NotContains(_Check, tag="not_contains", kw_only=True, frozen=True):
    text: str
    paths: list[str] = []


class Matches(_Check, tag="matches", kw_only=True, frozen=True):
    """Pass when the regular expression `pattern` matches a line in one of `paths`."""

    pattern: str
    paths: list[str] = []


Check = CommandCheck | FileExists | FileAbsent | Contains | NotContains | Matches


# --- plan parts ------------------------------------------------------------------------

class Build(_Strict, kw_only=True, frozen=True):
    lint: str | None = None
    test: str | None = None
    release: str | None = None


class Project(_Strict, kw_only=True, frozen=True):
    name: str = ""
    root: str = "."
    language: str | None = None
    build: Build = Build()


class Approvals(_Strict, kw_only=True, frozen=True):
    required: list[str] = []
    # gate -> who approves it when the plan runs on a CI engine (`git orch ci export`): the
    # forge (GitHub environment, GitLab manual job; the default) or `local`: an approval
    # given with `git orch approve` in the state branch, which the job waits for
    ci: dict[str, Literal["forge", "local"]] = {}


class Orchestrator(_Strict, kw_only=True, frozen=True):
    strategy: str = "conservative"
    approvals: Approvals = Approvals()
    agent_types: list[str] = []  # task types the agent's edit step does (issue: agents)


class Paths(_Strict, kw_only=True, frozen=True):
    preferred: list[str] = []
    forbidden: list[str] = []


class Retry(_Strict, kw_only=True, frozen=True):
    attempts: int = 1  # total tries of a failing command, the first included
    backoff: float = 1.0  # seconds before the second try; doubles each time (with jitter)
    max_backoff: float = 60.0


class Constraints(_Strict, kw_only=True, frozen=True):
    timeout: float | None = None  # seconds a command may run (strings like "10m" are parsed)
    timebox: str | None = None  # human budget for the whole task, e.g. "2h"
    forbidden: list[str] = []  # paths the task must not change
    style: str | None = None
    language: str | None = None
    notes: list[str] = []  # free text


# Shard and Task take their fields by position too: normalize builds 10,000 of them for a large
# plan, positionally (msgspec matches keywords one by one: 3.4 us a Task by keyword, 0.4 us by
# position). Reordering their fields changes what normalize must pass (test_fastpaths holds them).
class Shard(_Strict, kw_only=False, frozen=True):
    id: str
    title: str = ""
    description: str = ""
    commands: dict[str, str] = {}
    acceptance: list[Check] = []


class Task(_Strict, kw_only=False, frozen=True):
    id: str
    title: str = ""
    type: TaskType = "chore"
    description: str = ""
    paths: Paths = Paths()
    commands: dict[str, str] = {}  # ordered: name -> shell command
    acceptance: list[Check] = []
    dependencies: list[str] = []
    shards: list[Shard] = []
    constraints: Constraints = Constraints()
    approvals: list[str] = []
    retry: Retry = Retry()
    secrets: list[str] = []  # names of secrets this task receives in its environment
    repo: str | None = None  # a workspace repo to run in (workspace issue)
    # files the result cache stores with a pass and restores on a hit (gitorch/store/cacheentries.py);
    # not part of the inputs digest (DEFINITION_PARTS), so declaring them re-runs nothing
    outputs: list[str] = []
    agent: bool = False  # the agent command does this task's edit step (it has no commands)


class Plan(_Strict, kw_only=True, frozen=True):
    version: Literal[1] = 1
    project: Project = Project()
    orchestrator: Orchestrator = Orchestrator()
    tasks: list[Task] = []
    include: list[str] = []
    secrets: list[str] = []  # secrets every task receives
    # NAME -> shell command checking a secret works (`git orch secrets test NAME`); the
    # command gets only that secret in its environment. Added by the config/secrets issue.
    secret_probes: dict[str, str] = {}

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    def agent_does(self, task: Task) -> bool:
        """Whether the agent's edit step does `task` (agent: true or an agent type, no commands)."""
        return (task.agent or task.type in self.orchestrator.agent_types) and not task.commands

    def gates_for(self, task: Task) -> list[str]:
        """The gates `task` must pass before it runs."""
        declared = self.orchestrator.approvals.required
        gates = list(task.approvals)
        if task.type in declared and task.type not in gates:
            gates.append(task.type)
        return gates
