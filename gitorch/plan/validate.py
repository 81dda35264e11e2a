"""Every problem of a plan at once: structure (keys, types) and meaning (ids, DAG, paths, gates).

Structure is checked against the input types in `plan/spec.py` (plan/structure.py); meaning
is checked here, on the normalized `Plan`.
Problems are `PlanIssue`s (a plan path, a message, a hint); the loader turns them into located
`OrchError`s, because only it knows which file and line a path came from.
"""

from __future__ import annotations

import itertools
import operator
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from gitorch.errors import Location, OrchError
from gitorch.plan import graph
from gitorch.plan.acceptance import check_paths
from gitorch.plan.issues import PlanIssue
from gitorch.plan.lazyre import LazyPattern
from gitorch.plan.model import Check, CommandCheck, Plan, Task
from gitorch.plan.source import PathT, format_path
from gitorch.plan.structure import close_match, structure

__all__ = ["PlanIssue", "structure"]  # also read from here by the loader and others

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_ID = LazyPattern(ID_PATTERN)
_SECRET = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --- meaning --------------------------------------------------------------------------

def meaning(plan: Plan, skip: Iterable[int] = (), task_paths: bool = True) -> list[PlanIssue]:
    """Problems a well-typed plan can still have; tasks at indexes in `skip` were unreadable
    (their structure problems are reported already) and are only known by id.
    The loader checks task paths as it normalizes them (it knows how each was written:
    `paths:` as a list, acceptance strings that did not parse) and passes `task_paths=False`."""
    broken = set(skip)
    issues: list[PlanIssue] = []
    issues += _ids(plan, broken)
    issues += _dependencies(plan)
    issues += _escapes(plan, task_paths)
    issues += _gates_and_secrets(plan)
    issues += _commands(plan)
    issues += _repo_names(plan)
    return issues


_IDS = LazyPattern(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:\n[A-Za-z0-9][A-Za-z0-9._-]*)*")  # ids, one a line
_SECRETS = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*(?:\n[A-Za-z_][A-Za-z0-9_]*)*")  # secret names, one a line
_ID_OF = operator.attrgetter("id")
_COMMANDS_OF = operator.attrgetter("commands")
_RUN_OF = operator.attrgetter("run")


def _lines_match(pattern: LazyPattern, names: list[str]) -> bool:
    """Whether `pattern` (of names one a line) matches `names`, none of which holds a line break."""
    joined = "\n".join(names)
    return joined.count("\n") == len(names) - 1 and pattern.fullmatch(joined) is not None


def _every(owners: Iterable[Any], field: str) -> Iterator[Any]:
    """The items of the list `field` of each of `owners`, one after the other (in C: a plan
    of 10,000 tasks is checked as a whole before it is checked task by task)."""
    return itertools.chain.from_iterable(map(operator.attrgetter(field), owners))


def _ids(plan: Plan, broken: set[int]) -> list[PlanIssue]:
    every = [*map(_ID_OF, plan.tasks), *map(_ID_OF, _every(plan.tasks, "shards"))]
    if not every or (len(set(every)) == len(every) and _lines_match(_IDS, every)):
        return []  # all well-formed and unique: the common case, decided at once
    return _id_issues(plan, broken)


def _id_issues(plan: Plan, broken: set[int]) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    seen: dict[str, PathT] = {}
    for i, task in enumerate(plan.tasks):
        entries: list[tuple[str, PathT, str]] = []
        if task.id or i not in broken:
            entries.append((task.id, ("tasks", i, "id"), "task"))
        entries += [(s.id, ("tasks", i, "shards", j, "id"), "shard") for j, s in enumerate(task.shards)]
        for ident, where, what in entries:
            bad = _bad_id(ident)
            if bad:
                issues.append(PlanIssue(where, f"{what} id {ident!r} {bad}",
                                    "use letters, digits, '.', '_' and '-', starting with a letter or digit"))
            if ident in seen:
                first = format_path(seen[ident])
                issues.append(PlanIssue(where, f"duplicate {what} id {ident!r} (also at {first})",
                                    "task and shard ids must be unique across the plan"))
            else:
                seen[ident] = where
    return issues


def is_id(name: str) -> bool:
    """Whether `name` is a well-formed id (of a task, shard, gate or workspace repo)."""
    return _ID.match(name) is not None


def _bad_id(ident: str) -> str | None:
    if _ID.match(ident):
        return None
    if not ident:
        return "is empty"
    if any(c.isspace() for c in ident):
        return "contains whitespace"
    if _ID.match("A" + ident[1:]):  # only its first character is wrong
        return f"starts with {ident[0]!r}, not a letter or digit"
    others = sorted({c for c in ident[1:] if not _ID.match("A" + c)})
    if others:
        return f"contains {', '.join(map(repr, others))} (only ASCII letters, digits, '.', '_' and '-')"
    return "contains characters other than letters, digits, '.', '_' and '-'"


def _dependencies(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    ids = dict(zip(map(_ID_OF, plan.tasks), range(len(plan.tasks)), strict=True))
    shard_of: dict[str, str] | None = None  # made for the first unknown dependency
    unknown = not ids.keys() >= set(_every(plan.tasks, "dependencies"))
    for i, task in enumerate(plan.tasks if unknown else ()):
        for j, dep in enumerate(task.dependencies):
            if dep in ids:
                continue
            hint: str | None
            if shard_of is None:
                shard_of = {s.id: t.id for t in plan.tasks for s in t.shards}
            if dep in shard_of:
                hint = f"{dep!r} is a shard of task {shard_of[dep]!r}: depend on the task"
            else:
                close = close_match(dep, list(ids))
                hint = f"did you mean {close[0]!r}?" if close else None
            issues.append(PlanIssue(("tasks", i, "dependencies", j), f"unknown dependency {dep!r}", hint))
    for cycle in graph.cycles(plan):
        first, second = cycle[0], cycle[1]
        i = next(k for k, t in enumerate(plan.tasks) if t.id == first and second in t.dependencies)
        j = plan.tasks[i].dependencies.index(second)
        issues.append(PlanIssue(("tasks", i, "dependencies", j), "dependency cycle: " + " -> ".join(cycle),
                            "a task cannot depend, directly or through others, on itself"))
    return issues


# bytes no file name holds (NUL) or that only a mistake puts there (other C0 controls, DEL),
# and lone surrogates (JSON "\\ud800"): not encodable as a file name
_BAD_CHAR = LazyPattern("[\x00-\x1f\x7f\ud800-\udfff]")


def bad_text(text: str) -> str | None:
    """Why `text` cannot be a path or a command (a NUL, control or unencodable character), or None."""
    found = _BAD_CHAR.search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\0":
        return "contains a NUL byte"
    if "\ud800" <= char <= "\udfff":
        return f"contains {char!r}, which is not valid text"
    return f"contains the control character {char!r}"


def escapes(path: str) -> str | None:
    """Why `path` (relative to the project root) is not a path in the repository, or None."""
    if path and ".." not in path and path[0] not in "/\\~" and ":" not in path:
        return bad_text(path)  # the common case, decided without normalizing
    if not path:
        return "is empty"
    bad = bad_text(path)
    if bad:
        return bad
    if path.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return "is absolute"
    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm == ".." or norm.startswith("../"):
        return "leaves the repository"
    return None


def path_hint(why: str) -> str:
    """The hint for a path `escapes` refused."""
    if why.startswith("contains"):
        return "a file name cannot hold NUL, control characters or invalid text"
    return "paths are relative to the project root"


def _escapes(plan: Plan, task_paths: bool) -> list[PlanIssue]:
    issues: list[PlanIssue] = []

    def check(path: str, where: PathT) -> None:
        why = escapes(path)
        if why:
            issues.append(PlanIssue(where, f"path {path!r} {why}", path_hint(why)))

    why = escapes(plan.project.root) if plan.project.root != "." else None
    if why:
        issues.append(PlanIssue(("project", "root"), f"project root {plan.project.root!r} {why}"))
    for i, task in enumerate(plan.tasks):
        if not task_paths:
            break
        base: PathT = ("tasks", i)
        for key in ("preferred", "forbidden"):
            for j, p in enumerate(getattr(task.paths, key)):
                check(p, (*base, "paths", key, j))
        for j, p in enumerate(task.constraints.forbidden):
            check(p, (*base, "constraints", "forbidden", j))
        for j, chk in enumerate(task.acceptance):
            for p in check_paths(chk):
                check(p, (*base, "acceptance", j))
        for k, shard in enumerate(task.shards):
            for j, chk in enumerate(shard.acceptance):
                for p in check_paths(chk):
                    check(p, (*base, "shards", k, "acceptance", j))
    return issues


def _gates_and_secrets(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    declared = plan.orchestrator.approvals.required
    for j, gate in enumerate(declared):
        bad = _bad_id(gate)
        if bad:  # gate names are printed and stored like task ids: the same rules
            issues.append(PlanIssue(("orchestrator", "approvals", "required", j), f"gate name {gate!r} {bad}",
                                "use letters, digits, '.', '_' and '-', starting with a letter or digit"))
    for gate in plan.orchestrator.approvals.ci:
        if gate not in declared:
            issues.append(PlanIssue(("orchestrator", "approvals", "ci", gate), f"unknown gate {gate!r} in ci",
                                    "list it in orchestrator.approvals.required"))
    gates = set(_every(plan.tasks, "approvals"))
    secrets = list(_every(plan.tasks, "secrets"))
    common = gates <= set(declared) and (not secrets or _lines_match(_SECRETS, secrets))
    for i, task in enumerate(() if common else plan.tasks):  # the loop words each problem
        for j, gate in enumerate(task.approvals):
            if gate not in declared:
                hint = ("declared gates: " + ", ".join(declared)) if declared else "no gates are declared"
                issues.append(PlanIssue(("tasks", i, "approvals", j), f"unknown approval gate {gate!r}",
                                    hint + "; add it to orchestrator.approvals.required"))
        for j, name in enumerate(task.secrets):
            if not _SECRET.match(name):
                issues.append(PlanIssue(("tasks", i, "secrets", j),
                                        f"secret name {name!r} is not an environment variable name"))
    for j, name in enumerate(plan.secrets):
        if not _SECRET.match(name):
            issues.append(PlanIssue(("secrets", j),
                                    f"secret name {name!r} is not an environment variable name"))
    return issues


def _repo_names(plan: Plan) -> list[PlanIssue]:
    """`repo:` names follow workspace.toml's rules for names (those of task ids)."""
    issues: list[PlanIssue] = []
    named = set(map(operator.attrgetter("repo"), plan.tasks)) - {None}
    for i, task in enumerate(plan.tasks if any(map(_bad_id, named)) else ()):
        bad = _bad_id(task.repo) if task.repo is not None else None
        if bad:
            issues.append(PlanIssue(("tasks", i, "repo"), f"repo name {task.repo!r} {bad}",
                                "a repo's name in workspace.toml"))
    return issues


def _commands(plan: Plan) -> list[PlanIssue]:
    """Empty commands, and commands no process can be given (a NUL byte, invalid text)."""
    return [] if _all_runnable(plan) else _command_issues(plan)


def _command_issues(plan: Plan) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    parts: list[tuple[PathT, dict[str, str]]] = []
    build = plan.project.build
    parts.append((("project", "build"), {k: v for k, v in (("lint", build.lint), ("test", build.test),
                                                          ("release", build.release)) if v is not None}))
    parts.append((("secret_probes",), plan.secret_probes))
    for i, task in enumerate(plan.tasks):
        parts.append((("tasks", i, "commands"), task.commands))
        parts += [(("tasks", i, "shards", k, "commands"), s.commands) for k, s in enumerate(task.shards)]
        runs: list[tuple[PathT, Check]] = [
            (("tasks", i, "acceptance", j), c) for j, c in enumerate(task.acceptance)]
        runs += [(("tasks", i, "shards", k, "acceptance", j), c)
                 for k, s in enumerate(task.shards) for j, c in enumerate(s.acceptance)]
        for where, check in runs:
            if isinstance(check, CommandCheck) and _unrunnable(check.run):
                issues.append(PlanIssue(where, f"check command {_unrunnable(check.run)}"))
    for base, commands in parts:
        for name, command in commands.items():
            if not command.strip():
                issues.append(PlanIssue((*base, name), f"command `{name}` is empty",
                                    "give it a shell command, or remove it"))
            elif _unrunnable(command):
                issues.append(PlanIssue((*base, name), f"command `{name}` {_unrunnable(command)}"))
    return issues


_UNRUNNABLE = LazyPattern("[\x00\ud800-\udfff]")  # what _unrunnable refuses


def _all_runnable(plan: Plan) -> bool:
    """Whether no command of the plan is empty or unrunnable: the common case, decided over
    all of them at once (the loop below words each problem)."""
    build = plan.project.build
    tasks = plan.tasks
    commands = [c for c in (build.lint, build.test, build.release) if c is not None]
    commands += plan.secret_probes.values()
    shards = list(_every(tasks, "shards"))
    for owners in (tasks, shards):
        commands += itertools.chain.from_iterable(map(dict.values, map(_COMMANDS_OF, owners)))
    if not all(map(str.strip, commands)):
        return False
    checks = itertools.chain(_every(tasks, "acceptance"), _every(shards, "acceptance"))
    runs = list(map(_RUN_OF, filter(CommandCheck.__instancecheck__, checks)))
    return _runnable("\n".join(commands)) and _runnable("\n".join(runs))


def _runnable(text: str) -> bool:
    """Whether `text` holds no NUL and no surrogate (ASCII holds no surrogate: only NUL is
    looked for then, at memchr's speed instead of a character class's)."""
    return "\0" not in text if text.isascii() else _UNRUNNABLE.search(text) is None


def _unrunnable(command: str) -> str | None:
    """Why no process can be given `command` (control characters such as newlines are fine)."""
    if "\0" in command:
        return "contains a NUL byte"
    bad = bad_text(command)
    return bad if bad and "control" not in bad else None


def validate(plan: Plan, locate: Callable[[PathT], Location] | None = None) -> list[OrchError]:
    """Every meaning problem of `plan` as located errors (structure is checked while loading)."""
    where = locate or (lambda path: Location(path=format_path(path) or None))
    return [OrchError(i.message, where(i.path), hint=i.hint) for i in meaning(plan)]


def task_placeholder(raw: Any) -> Task:
    """A stand-in for an unreadable task, so others can still refer to its id."""
    ident = raw.get("id") if isinstance(raw, dict) else None
    return Task(id=ident if isinstance(ident, str) else "")
