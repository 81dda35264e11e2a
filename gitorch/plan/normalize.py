"""Input types (plan/spec.py) -> the stored model (plan/model.py): shorthands expanded,
durations in seconds, acceptance parsed into `Check`s once."""

from __future__ import annotations

import itertools
import operator

from gitorch.plan import acceptance
from gitorch.plan.acceptance import SpecProblem, parse_duration
from gitorch.plan.lazyre import LazyPattern
from gitorch.plan.model import (
    Approvals,
    Build,
    Check,
    Constraints,
    Orchestrator,
    Paths,
    Project,
    Retry,
    Shard,
    Task,
)
from gitorch.plan.source import PathT
from gitorch.plan.spec import (
    AcceptanceItem,
    ApprovalsSpec,
    ConstraintsSpec,
    OrchestratorSpec,
    PathsSpec,
    PlanSpec,
    ProjectSpec,
    RetrySpec,
    ShardSpec,
    TaskSpec,
)
from gitorch.plan.validate import PlanIssue, escapes, path_hint

_NO_PATHS = Paths()
_NO_CONSTRAINTS = Constraints()
_NO_RETRY = Retry()
_DEFAULT_RETRY = RetrySpec()
_DEFAULT_CONSTRAINTS = ConstraintsSpec()


def project(spec: ProjectSpec) -> Project:
    b = spec.build
    return Project(name=spec.name, root=spec.root, language=spec.language,
                   build=Build(lint=b.lint, test=b.test, release=b.release))


def orchestrator(spec: OrchestratorSpec) -> Orchestrator:
    approvals = Approvals(required=list(spec.approvals.required), ci=dict(spec.approvals.ci))
    return Orchestrator(strategy=spec.strategy, approvals=approvals, agent_types=list(spec.agent_types))


def head_issues(spec: PlanSpec) -> list[PlanIssue]:
    """Problems of the plan's top-level keys that the types alone do not catch."""
    if spec.version != 1:
        return [PlanIssue(("version",), f"unsupported plan version {spec.version}",
                      "this gitorch reads plan version 1")]
    return []


class Clean:
    """What holds for every task of a plan at once (normalize.checked), so that `task`
    need not check it task by task. (A plain class: a NamedTuple costs ~0.3 ms to define.)"""

    __slots__ = ("texts", "paths")

    def __init__(self, texts: bool = False, paths: bool = False) -> None:
        self.texts = texts  # no title or description holds a terminal control character
        self.paths = paths  # every `paths:` given as a mapping names paths plainly inside the repository

    def __repr__(self) -> str:
        return f"Clean(texts={self.texts}, paths={self.paths})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Clean) and (self.texts, self.paths) == (other.texts, other.paths)

    def __hash__(self) -> int:
        return hash((self.texts, self.paths))


_TITLE_OF = operator.attrgetter("title")
_DESCRIPTION_OF = operator.attrgetter("description")
_PATHS_OF = operator.attrgetter("paths")
_PREFERRED_OF = operator.attrgetter("preferred")
_FORBIDDEN_OF = operator.attrgetter("forbidden")


def checked(specs: list[TaskSpec]) -> Clean:
    """What holds for all of `specs`: each checked over all tasks in one pass in C (a plan
    with 10,000 tasks would otherwise take the same checks 10,000 times in Python)."""
    shards = list(itertools.chain.from_iterable(map(operator.attrgetter("shards"), specs)))
    texts = [*map(_TITLE_OF, specs), *map(_DESCRIPTION_OF, specs),
             *map(_TITLE_OF, shards), *map(_DESCRIPTION_OF, shards)]
    given = [p for p in map(_PATHS_OF, specs) if type(p) is PathsSpec]
    paths = [*itertools.chain.from_iterable(map(_PREFERRED_OF, given)),
             *itertools.chain.from_iterable(map(_FORBIDDEN_OF, given))]
    return Clean(texts=_plain_text("\n".join(texts)), paths=_plainly_inside(paths))


_TEXT_BYTES = b"\t\n" + bytes(range(0x20, 0x7F))  # ASCII that is text (not terminal control)
_PATH_BYTES = b"\n" + bytes(range(0x20, 0x7F))  # ASCII a path may hold (and the line breaks between)


def _plain_text(text: str) -> bool:
    """Whether `text` holds no terminal control character (in ASCII: by bytes.translate, a
    table lookup a byte, several times faster than a search for a character class)."""
    if text.isascii():
        return not text.encode("ascii").translate(None, _TEXT_BYTES)
    return _CONTROL.search(text) is None


# what makes a path (one a line, each after a line break) other than plainly inside the
# repository: an empty one, one starting with `/`, `\\` or `~` (or `:`, `..`: see below),
# control characters or invalid text
_PATH_TROUBLE = LazyPattern(r"\n[/\\~\n]|[\x00-\x09\x0b-\x1f\x7f\ud800-\udfff]")
_PATH_STARTS = ("\n/", "\n\\", "\n~", "\n\n")  # _PATH_TROUBLE's first branch, one by one


def _plainly_inside(paths: list[str]) -> bool:
    """Whether validate.escapes takes each of `paths` for plainly inside the repository (its
    common case: not empty, no `..` or `:`, not starting with `/`, `\\` or `~`, no control
    character or invalid text)."""
    joined = "\n" + "\n".join(paths) + "\n"
    if not paths:
        return True
    if joined.count("\n") != len(paths) + 1 or ":" in joined or ".." in joined:
        return False
    if joined.isascii():  # _PATH_TROUBLE by a table lookup a byte and substring searches
        return not joined.encode("ascii").translate(None, _PATH_BYTES) and not any(
            start in joined for start in _PATH_STARTS)
    return _PATH_TROUBLE.search(joined) is None


def task(spec: TaskSpec, path: PathT, issues: list[PlanIssue], build: Build | None = None,
         clean: Clean = Clean()) -> Task:
    """The model Task for `spec`; problems are appended to `issues` (located under `path`).
    A code-changing task gets the project's `build.lint` / `build.test` as its `lint` / `test`
    commands when it has none of its own (after its own commands: they check the change).
    `clean` says what holds for every task already (normalize.checked)."""
    commands = spec.commands
    if build is not None and spec.type == "code_change":
        lint = build.lint if build.lint and "lint" not in commands else None
        test = build.test if build.test and "test" not in commands else None
        if lint or test:
            commands = dict(commands)
            if lint:
                commands["lint"] = lint
            if test:
                commands["test"] = test
    texts = clean.texts
    paths = spec.paths
    if clean.paths and type(paths) is PathsSpec:
        kept = Paths(preferred=paths.preferred, forbidden=paths.forbidden) if (
            paths.preferred or paths.forbidden) else _NO_PATHS
    else:
        kept = _paths(paths, path, issues)
    # each part in Task's field order (so problems are found in the order they always were)
    title = spec.title if texts else _text(spec.title, path, "title", issues)
    description = spec.description if texts else _text(spec.description, path, "description", issues)
    checks = _checks(spec.acceptance, path, issues)
    shards = [_shard(s, (*path, "shards", k), issues, texts) for k, s in enumerate(spec.shards)] if (
        spec.shards) else []
    constraints = _NO_CONSTRAINTS if spec.constraints == _DEFAULT_CONSTRAINTS else _constraints(
        spec.constraints, path, issues)
    approvals = spec.approvals if type(spec.approvals) is list else _approvals(spec.approvals)
    retry = _NO_RETRY if spec.retry == _DEFAULT_RETRY else _retry(spec.retry, path, issues)
    outputs = _outputs(spec.outputs, (*path, "outputs"), issues) if spec.outputs else spec.outputs
    # by position, in Task's field order (model.py): several times faster than by keyword
    return Task(spec.id, title, spec.type, description, kept, commands, checks, spec.dependencies,
                shards, constraints, approvals, retry, spec.secrets, spec.repo, outputs, spec.agent)


def _inside(paths: list[str], path: PathT, issues: list[PlanIssue], indexed: bool = True) -> None:
    """Report each of `paths` that leaves the repository (located at path[j], or at path)."""
    for j, p in enumerate(paths):
        why = escapes(p)
        if why:
            where = (*path, j) if indexed else path
            issues.append(PlanIssue(where, f"path {p!r} {why}", path_hint(why)))


def _outputs(paths: list[str], path: PathT, issues: list[PlanIssue]) -> list[str]:
    """A task's outputs: inside the repository like every path of a plan."""
    _inside(paths, path, issues)
    return paths


def _paths(spec: PathsSpec | list[str] | str, task: PathT, issues: list[PlanIssue]) -> Paths:
    """`paths:` of the task at `task`."""
    if not isinstance(spec, str | list):  # a mapping, the common case
        if not spec.preferred and not spec.forbidden:
            return _NO_PATHS
        if any(map(escapes, spec.preferred)) or any(map(escapes, spec.forbidden)):
            _inside(spec.preferred, (*task, "paths", "preferred"), issues)
            _inside(spec.forbidden, (*task, "paths", "forbidden"), issues)
        return Paths(preferred=spec.preferred, forbidden=spec.forbidden)
    path: PathT = (*task, "paths")
    if isinstance(spec, str):
        _inside([spec], path, issues, indexed=False)
        return Paths(preferred=[spec])
    if isinstance(spec, list):
        _inside(spec, path, issues)
        return Paths(preferred=spec) if spec else _NO_PATHS
    _inside(spec, path, issues)
    return Paths(preferred=spec) if spec else _NO_PATHS


def _approvals(spec: list[str] | ApprovalsSpec) -> list[str]:
    return list(spec.required) if isinstance(spec, ApprovalsSpec) else spec


# acceptance item as written -> its Check (or the problem it has) and the paths it names that
# leave the repository (with why): plans repeat their checks, and a Check is immutable
_CHECKS: dict[AcceptanceItem, tuple[Check | SpecProblem, list[tuple[str, str]]]] = {}
_CHECKS_KEPT = 50_000
# the items among them without a problem or a path outside: item -> its Check
_CLEAN: dict[AcceptanceItem, Check] = {}


def _parsed(item: AcceptanceItem) -> tuple[Check | SpecProblem, list[tuple[str, str]]]:
    try:
        return _CHECKS[item]
    except KeyError:
        pass
    except TypeError:  # a mapping with `in` as a list: not hashable, so not remembered
        return _parse(item)
    if len(_CHECKS) >= _CHECKS_KEPT:
        _CHECKS.clear()
        _CLEAN.clear()
    got = _CHECKS[item] = _parse(item)
    if not got[1] and not isinstance(got[0], SpecProblem):
        _CLEAN[item] = got[0]
    return got


def _parse(item: AcceptanceItem) -> tuple[Check | SpecProblem, list[tuple[str, str]]]:
    try:
        check = acceptance.parse(item)
    except SpecProblem as exc:
        return exc, []
    return check, [(p, why) for p in acceptance.check_paths(check) if (why := escapes(p))]


def _checks(items: list[AcceptanceItem], owner: PathT, issues: list[PlanIssue]) -> list[Check]:
    """`acceptance:` of the task or shard at `owner`."""
    try:  # every item parsed before and clean: the common case, in one pass
        return list(map(_CLEAN.__getitem__, items))
    except (KeyError, TypeError):  # TypeError: an item with `in` as a list (not hashable)
        pass
    out: list[Check] = []
    path: PathT = ()
    for j, item in enumerate(items):
        check, outside = _parsed(item)
        if isinstance(check, SpecProblem) or outside:
            path = path or (*owner, "acceptance")
        if isinstance(check, SpecProblem):
            where: PathT = (*path, j, check.key) if check.key else (*path, j)
            issues.append(PlanIssue(where, check.message, check.hint))
            continue
        for p, why in outside:  # as _inside words it
            issues.append(PlanIssue((*path, j), f"path {p!r} {why}", path_hint(why)))
        out.append(check)
    return out


def _shard(spec: ShardSpec, path: PathT, issues: list[PlanIssue], texts: bool = False) -> Shard:
    """The shard at `path`; `texts`: its title and description are known to be clean."""
    if texts:
        title, description = spec.title, spec.description
    else:
        title = _text(spec.title, path, "title", issues)
        description = _text(spec.description, path, "description", issues)
    return Shard(spec.id, title, description, spec.commands, _checks(spec.acceptance, path, issues))


# Terminal control (ESC, CR, backspace, NUL…): a title or description is printed by run,
# status, reports and TASKS.md, where these would rewrite the screen. Tab and newline are text.
_CONTROL = LazyPattern("[\x00-\x08\x0b-\x1f\x7f]")


def _text(text: str, owner: PathT, key: str, issues: list[PlanIssue]) -> str:
    """The `key` (title or description) of the task or shard at `owner`."""
    found = _CONTROL.search(text)
    if found and "\r\n" in text:
        found = _CONTROL.search(text.replace("\r\n", "\n"))  # a CRLF file's line ends are text too
    if found:
        issues.append(PlanIssue((*owner, key), f"{key} contains the control character {found.group()!r}",
                                "titles and descriptions are text: tabs and newlines only"))
    return text


def _duration(value: float | str, path: PathT, issues: list[PlanIssue], positive: bool) -> float | None:
    try:
        seconds = parse_duration(value, path[-1] if isinstance(path[-1], str) else "duration")
    except SpecProblem as exc:
        issues.append(PlanIssue(path, exc.message, exc.hint))
        return None
    if positive and seconds <= 0:
        issues.append(PlanIssue(path, f"{path[-1]} must be more than 0 seconds"))
        return None
    return seconds


def _constraints(
    spec: ConstraintsSpec | list[str] | str, task: PathT, issues: list[PlanIssue],
) -> Constraints:
    """`constraints:` of the task at `task`."""
    if isinstance(spec, str):
        return Constraints(notes=[spec])
    if isinstance(spec, list):
        return Constraints(notes=spec) if spec else _NO_CONSTRAINTS
    if spec == _DEFAULT_CONSTRAINTS:
        return _NO_CONSTRAINTS
    path: PathT = (*task, "constraints")
    _inside(spec.forbidden, (*path, "forbidden"), issues)
    timeout = None if spec.timeout is None else _duration(spec.timeout, (*path, "timeout"), issues, True)
    timebox = spec.timebox  # kept as written (messages quote it); the runner enforces it
    if timebox is not None:
        _duration(timebox, (*path, "timebox"), issues, True)
        timebox = f"{timebox:g}s" if isinstance(timebox, float | int) else timebox  # seconds, as documented
    return Constraints(
        timeout=timeout, timebox=timebox, forbidden=spec.forbidden, style=spec.style,
        language=spec.language, notes=[spec.notes] if isinstance(spec.notes, str) else spec.notes,
    )


def _retry(spec: RetrySpec, task: PathT, issues: list[PlanIssue]) -> Retry:
    """`retry:` of the task at `task`."""
    if spec == _DEFAULT_RETRY:
        return _NO_RETRY
    path: PathT = (*task, "retry")
    backoff = _duration(spec.backoff, (*path, "backoff"), issues, False)
    most = _duration(spec.max_backoff, (*path, "max_backoff"), issues, False)
    return Retry(attempts=spec.attempts, backoff=1.0 if backoff is None else backoff,
                 max_backoff=60.0 if most is None else most)
