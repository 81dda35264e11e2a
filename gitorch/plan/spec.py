"""What users write: the plan's input format as msgspec Structs (the JSON Schema comes from here).

These types accept the shorthands a plan author may use (`paths:` as a list, durations as
"10m", acceptance as the seed's strings or as mappings); `plan/normalize.py` turns them into
the stored model (`plan/model.py`). Unknown keys are rejected everywhere.
"""

# No `from __future__ import annotations` (as plan/model): msgspec reads these types to
# decode every plan that misses the plan cache (a fresh clone, an edited plan: P1's rounds,
# P9), and a string annotation costs a typing.ForwardRef compiled and evaluated each (~60),
# with the process's first compile(): ~16 M instructions of such a run.
from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class RepoInclude(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A plan file in another repository (read by plan/remote_include.py)."""

    repo: Annotated[str, Meta(description="A checkout (path relative to this file) or a URL.")]
    path: Annotated[str, Meta(description="The plan file, relative to that repository's root.")]
    ref: Annotated[str, Meta(description="Branch, tag or commit (default HEAD).")] = "HEAD"


TaskTypeSpec = Literal["code_change", "docs", "test", "release", "deploy", "chore"]

# A duration: seconds as a number, or a string such as "90s", "10m", "1h30m".
Duration = Annotated[
    float | str,
    Meta(description='Seconds, or a string such as "90s", "10m", "1h30m".'),
]
PathList = Annotated[list[str], Meta(description="Paths relative to the project root; globs allowed.")]


class _Spec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class AcceptanceSpec(_Spec, frozen=True, kw_only=True):
    """One structured acceptance check: exactly one of run, file_exists, file_absent,
    contains, not_contains, matches."""

    run: Annotated[str | None, Meta(description="Shell command; passes when it exits with exit_code.")] = None
    exit_code: Annotated[int, Meta(ge=0, le=255, description="The exit status it must have, 0-255.")] = 0
    timeout: Duration | None = None
    file_exists: Annotated[str | None, Meta(description="Passes when this path exists.")] = None
    file_absent: Annotated[str | None, Meta(description="Passes when this path does not exist.")] = None
    contains: Annotated[str | None, Meta(description="Passes when the text occurs in a file of `in`.")] = None
    not_contains: Annotated[str | None, Meta(description="Passes when no file of `in` holds the text.")] = (
        None
    )
    matches: Annotated[str | None, Meta(description="Regular expression that must match a line.")] = None
    in_: Annotated[
        str | list[str] | None,
        Meta(description="Where to look (default: the task's preferred paths)."),
    ] = msgspec.field(default=None, name="in")
    label: Annotated[str | None, Meta(description="How reports name this check.")] = None


# Acceptance as written: the seed's strings ("Tests pass: CMD", "File exists: PATH",
# "Contains: TEXT", "Contains: TEXT in PATH") or a mapping.
AcceptanceItem = str | AcceptanceSpec


class BuildSpec(_Spec, frozen=True, kw_only=True):
    """Default build commands of the project."""

    lint: str | None = None
    test: str | None = None
    release: str | None = None


class ProjectSpec(_Spec, frozen=True, kw_only=True):
    """Project metadata."""

    name: str = ""
    root: Annotated[str, Meta(description="Project root, relative to the repository root.")] = "."
    language: str | None = None
    build: BuildSpec = BuildSpec()


class ApprovalsSpec(_Spec, frozen=True, kw_only=True):
    """Approval gates."""

    required: Annotated[list[str], Meta(description="Gate names, e.g. deploy, apply_patch, tag.")] = []
    ci: Annotated[
        dict[str, Literal["forge", "local"]],
        Meta(description="Gate -> who approves it in CI: the forge (default) or local (git orch approve)."),
    ] = {}


class OrchestratorSpec(_Spec, frozen=True, kw_only=True):
    """How the plan runs, and the gates it declares."""

    strategy: str = "conservative"
    approvals: ApprovalsSpec = ApprovalsSpec()
    agent_types: Annotated[
        list[str], Meta(description="Task types whose edit step the agent command does (agent.command).")
    ] = []


class PathsSpec(_Spec, frozen=True, kw_only=True):
    """Where the task works: preferred paths (hints) and forbidden paths."""

    preferred: PathList = []
    forbidden: PathList = []


class RetrySpec(_Spec, frozen=True, kw_only=True):
    """Retry of failing commands: total attempts, and the first backoff (doubling)."""

    attempts: Annotated[int, Meta(ge=1)] = 1
    backoff: Duration = 1.0
    max_backoff: Duration = 60.0


class ConstraintsSpec(_Spec, frozen=True, kw_only=True):
    """Limits and conventions for the task."""

    timeout: Annotated[Duration | None, Meta(description="How long one command may run.")] = None
    timebox: Annotated[Duration | None, Meta(description=(
        'The whole task\'s budget: all commands, shards, checks and retries, e.g. "30m".'))] = None
    forbidden: PathList = []
    style: str | None = None
    language: str | None = None
    notes: str | list[str] = []


class ShardSpec(_Spec, frozen=True, kw_only=True):
    """A sub-task run after its task's commands, with its own commands and acceptance."""

    id: Annotated[str, Meta(description="Unique among all task and shard ids.")]
    title: str = ""
    description: str = ""
    commands: Annotated[dict[str, str], Meta(description="Ordered: name -> shell command.")] = {}
    acceptance: list[AcceptanceItem] = []


class TaskSpec(_Spec, frozen=True, kw_only=True):
    """One task of the plan's DAG."""

    id: Annotated[str, Meta(description="Unique id: letters, digits, '.', '_' and '-'.")]
    title: str = ""
    type: TaskTypeSpec = "chore"
    description: str = ""
    paths: Annotated[
        PathsSpec | list[str] | str,
        Meta(description="Preferred and forbidden paths; a list is shorthand for preferred."),
    ] = PathsSpec()
    commands: Annotated[dict[str, str], Meta(description="Ordered: name -> shell command.")] = {}
    acceptance: list[AcceptanceItem] = []
    dependencies: Annotated[list[str], Meta(description="Ids of tasks that must complete first.")] = []
    shards: list[ShardSpec] = []
    constraints: Annotated[
        ConstraintsSpec | list[str] | str, Meta(description="Limits; a string or list is free text.")
    ] = ConstraintsSpec()
    approvals: Annotated[
        list[str] | ApprovalsSpec, Meta(description="Gates (declared in orchestrator.approvals.required).")
    ] = []
    retry: RetrySpec = RetrySpec()
    secrets: Annotated[list[str], Meta(description="Names of secrets passed in the environment.")] = []
    repo: Annotated[str | None, Meta(description="Workspace repository to run in.")] = None
    outputs: Annotated[
        list[str], Meta(description="Files (paths, folders, globs) the result cache stores and restores.")
    ] = []
    agent: Annotated[
        bool, Meta(description="The agent command does this task's edit step; gitorch verifies it.")
    ] = False


class PlanSpec(_Spec, frozen=True, kw_only=True):
    """A gitorch plan (orchestrator.yml): a DAG of tasks with commands, acceptance and gates."""

    version: Annotated[int, Meta(description="Plan format version; this gitorch reads 1.")] = 1
    project: ProjectSpec = ProjectSpec()
    orchestrator: OrchestratorSpec = OrchestratorSpec()
    tasks: list[TaskSpec] = []
    include: Annotated[
        list[str | RepoInclude] | str | RepoInclude,
        Meta(description="Further plan files (relative to this one; globs allowed), or files in another "
                         "repository ({repo, path, ref}), whose tasks join."),
    ] = []
    secrets: Annotated[list[str], Meta(description="Names of secrets every task receives.")] = []
    secret_probes: Annotated[
        dict[str, str],
        Meta(description="Secret name -> a command that checks it works (`git orch secrets test NAME`)."),
    ] = {}


class IncludedSpec(_Spec, frozen=True, kw_only=True):
    """An included file: more tasks, and possibly further includes."""

    version: int = 1
    tasks: list[TaskSpec] = []
    include: list[str | RepoInclude] | str | RepoInclude = []
