"""Reading a plan that the plan cache does not hold: every file parsed, validated,
normalized, its problems located (what `load_plan` does on a miss).

Apart from gitorch.plan.load so that a cache hit (every re-run of an unchanged plan) imports
none of the reading, validating and normalizing modules (their import is ~25 M instructions
of a skip-everything re-run, issue 15 P2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from gitorch.errors import Location, OrchError, PlanError
from gitorch.plan import cache, normalize
from gitorch.plan.loaded import LoadedPlan, display_of
from gitorch.plan.model import Orchestrator, Plan, Project, Task
from gitorch.plan.remote_include import include_repo
from gitorch.plan.repos import check_repos
from gitorch.plan.source import Document, PathT, read_document
from gitorch.plan.spec import IncludedSpec, PlanSpec, RepoInclude, TaskSpec
from gitorch.plan.validate import PlanIssue, bad_text, meaning, structure, task_placeholder

_GLOB = set("*?[")  # the characters that make an include a glob


class _TaskEntry(msgspec.Struct):
    spec: TaskSpec | None
    raw: Any
    doc: Document
    local: PathT  # where the task sits in its own file


class _Loader(msgspec.Struct):
    base: Path
    docs: list[Document] = msgspec.field(default_factory=list)
    entries: list[_TaskEntry] = msgspec.field(default_factory=list)
    issues: list[tuple[Document, PlanIssue]] = msgspec.field(default_factory=list)
    errors: list[OrchError] = msgspec.field(default_factory=list)  # already located (unreadable includes)
    seen: set[Path] = msgspec.field(default_factory=set)
    globs: list[cache.GlobUse] = msgspec.field(default_factory=list)  # include globs and what they matched
    head: PlanSpec | None = None
    # (path, sha256) read for meaning
    extra_files: list[tuple[str, str]] = msgspec.field(default_factory=list)

    def display(self, path: Path) -> str:
        return display_of(self.base, path)

    def run(self, main: Path) -> LoadedPlan:
        doc = read_document(main, self.display(main))
        if doc.data is None:
            raise _single(doc, (), "the plan file is empty (only comments)",
                          "start with `version: 1` and a `tasks:` list (see docs/plan.md)")
        if not isinstance(doc.data, dict):
            raise _single(doc, (), f"the plan must be a mapping (version, project, orchestrator, tasks), "
                          f"not {_kind(doc.data)}")
        self._visit(doc, [main.resolve()])
        plan = self._assemble()
        problems = self._located()
        if problems:
            count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
            raise PlanError(f"{doc.display}: {count}", Location(file=doc.display), problems=problems)
        root = (self.base / plan.project.root).resolve() if plan.project.root != "." else self.base
        return LoadedPlan(plan=plan, file=main,
                          files=[d.file for d in self.docs], root=root, display=doc.display)

    # --- reading ----------------------------------------------------------------------

    def _visit(self, doc: Document, stack: list[Path]) -> None:
        self.docs.append(doc)
        for line, column, key in doc.duplicates:
            self.errors.append(OrchError(f"key `{key}` appears twice in one mapping",
                                         Location(file=doc.display, line=line, column=column),
                                         hint="YAML keeps only the last one; remove or rename one of them"))
        self.seen.add(doc.file.resolve())
        is_main = len(self.docs) == 1
        data = doc.data
        tasks: Any = []
        prefix: PathT = ("tasks",)
        includes: list[tuple[str, PathT]] = []
        if isinstance(data, list) and not is_main:
            tasks, prefix = data, ()
        elif isinstance(data, dict):
            # `x-…` keys at the top are the author's (e.g. YAML anchors to merge from)
            head = {k: v for k, v in data.items()
                    if k != "tasks" and not (isinstance(k, str) and k.startswith("x-"))}
            kind: type[msgspec.Struct] = PlanSpec if is_main else IncludedSpec
            problems = structure(head, kind)
            self.issues += [(doc, i) for i in problems]
            if not problems:
                spec = msgspec.convert(head, kind)
                if isinstance(spec, PlanSpec):
                    self.head = spec
                    self.issues += [(doc, i) for i in normalize.head_issues(spec)]
                elif isinstance(spec, IncludedSpec) and spec.version != 1:
                    unsupported = PlanIssue(("version",), f"unsupported plan version {spec.version}")
                    self.issues.append((doc, unsupported))
                inc = spec.include  # type: ignore[attr-defined]
                includes = [(inc, ("include",))] if not isinstance(inc, list) else [
                    (p, ("include", j)) for j, p in enumerate(inc)]
            tasks = data.get("tasks", [])
        else:
            what = "empty" if data is None else (
                f"{_kind(data)}, not a list of tasks or a mapping with `tasks`")
            self.issues.append((doc, PlanIssue((), f"the included file is {what}")))
            return
        if not isinstance(tasks, list):
            self.issues.append((doc, PlanIssue(prefix, f"`tasks` must be a list, not {_kind(tasks)}")))
            tasks = []
        try:  # every task at once (the common case), else one by one to find each problem
            specs: list[TaskSpec] | None = msgspec.convert(tasks, list[TaskSpec])
        except msgspec.ValidationError:
            specs = None
        for k, raw in enumerate(tasks):
            local = (*prefix, k)
            if specs is not None:
                self.entries.append(_TaskEntry(specs[k], raw, doc, local))
                continue
            try:
                spec_t: TaskSpec | None = msgspec.convert(raw, TaskSpec)
            except msgspec.ValidationError:
                found = structure(raw, TaskSpec, local)
                self.issues += [(doc, i) for i in found]
                spec_t = _salvage(raw, found, len(local))
            self.entries.append(_TaskEntry(spec_t, raw, doc, local))
        for pattern, site in includes:
            self._include(doc, pattern, site, stack)

    def _include(self, doc: Document, pattern: str | RepoInclude, site: PathT, stack: list[Path]) -> None:
        if isinstance(pattern, RepoInclude):  # another repository's file (plan/remote_include.py)
            return include_repo(self, doc, pattern, site, stack)
        absolute = not pattern or Path(pattern).is_absolute()
        bad = "must be a path relative to this file" if absolute else bad_text(pattern)
        if bad:
            self.issues.append((doc, PlanIssue(site, f"include {pattern!r} {bad}")))
            return
        here = doc.file.parent
        if _GLOB & set(pattern):  # not the including file itself, never into a git dir (.git/HEAD)
            targets = sorted(p for p in here.glob(pattern) if p.is_file() and p != doc.file
                             and ".git" not in p.relative_to(here).parts)
            self.globs.append(cache.GlobUse(str(here), pattern, [str(p) for p in targets]))
            if not targets:
                self.issues.append((doc, PlanIssue(site, f"include {pattern!r} matches no files")))
        else:
            targets = [here / pattern]
        outside = False
        for target in targets:
            real = target.resolve()
            if not real.is_relative_to(self.base.resolve()):
                if not outside:  # once per include, however many files a glob matched there
                    message = f"include {pattern!r} is outside the repository"
                    self.issues.append((doc, PlanIssue(site, message)))
                outside = True
                continue
            if real in stack:
                chain = [self.display(p) for p in stack[stack.index(real):]] + [self.display(real)]
                self.issues.append((doc, PlanIssue(site, "include cycle: " + " -> ".join(chain))))
                continue
            if real in self.seen:
                continue  # included twice along different paths: its tasks count once
            if target.is_dir():
                message = f"include {pattern!r} is a directory, not a plan file"
                hint = f"include its files with a glob such as '{pattern.rstrip('/')}/*.yml'"
                self.issues.append((doc, PlanIssue(site, message, hint)))
                continue
            if not target.is_file():
                self.issues.append((doc, PlanIssue(site, f"included file {pattern!r} not found")))
                continue
            try:
                sub = read_document(target, self.display(target))
            except PlanError as exc:
                self.errors += exc.problems
                continue
            self._visit(sub, [*stack, real])

    # --- building and checking ----------------------------------------------------------

    def _assemble(self) -> Plan:
        tasks: list[Task] = []
        broken: list[int] = []
        head = self.head
        project = normalize.project(head.project) if head else Project()
        clean = normalize.checked([e.spec for e in self.entries if e.spec is not None])
        for i, entry in enumerate(self.entries):
            if entry.spec is None:
                broken.append(i)
                tasks.append(task_placeholder(entry.raw))
                continue
            found: list[PlanIssue] = []
            tasks.append(normalize.task(entry.spec, entry.local, found, project.build, clean))
            if found:
                self.issues += [(entry.doc, issue) for issue in found]
        plan = Plan(
            version=1,
            project=project,
            orchestrator=normalize.orchestrator(head.orchestrator) if head else Orchestrator(),
            tasks=tasks,
            secrets=list(head.secrets) if head else [],
            secret_probes=dict(head.secret_probes) if head else {},
        )
        for issue in [*meaning(plan, skip=broken, task_paths=False), *self._repos(plan)]:
            self.issues.append(self._to_local(issue))
        if head and not self.issues and plan.project.root != ".":
            root = self.base / plan.project.root
            if not root.is_dir():
                message = f"project root {plan.project.root!r} is not a directory"
                self.issues.append((self.docs[0], PlanIssue(("project", "root"), message)))
        return plan

    def _repos(self, plan: Plan) -> list[PlanIssue]:
        found = check_repos(self.base, plan)
        self.globs += found.globs
        self.extra_files += found.files
        return found.issues

    def _to_local(self, issue: PlanIssue) -> tuple[Document, PlanIssue]:
        """Map a path in the merged plan back to the file and path where the user wrote it."""
        path = issue.path
        if len(path) >= 2 and path[0] == "tasks" and isinstance(path[1], int):
            entry = self.entries[path[1]]
            return entry.doc, PlanIssue((*entry.local, *path[2:]), issue.message, issue.hint)
        return self.docs[0], issue

    def _located(self) -> list[OrchError]:
        """Every problem as a located error, by file (in load order), then line and column."""
        files = {d.display: n for n, d in enumerate(self.docs)}
        problems = list(self.errors)
        for doc in self.docs:
            mine = [issue for d, issue in self.issues if d is doc]
            if mine:
                wheres = doc.locate_all([i.path for i in mine])
                problems += [OrchError(i.message, w, hint=i.hint) for i, w in zip(mine, wheres, strict=True)]

        def position(p: OrchError) -> tuple[int, int, int]:
            w = p.where or Location()
            return files.get(w.file or "", len(files)), w.line or 0, w.column or 0

        return sorted(problems, key=position)


def _salvage(raw: Any, found: list[PlanIssue], depth: int) -> TaskSpec | None:
    """The task without its offending keys, so its other problems (dependencies, gates, paths)
    are still reported; None when even that is unreadable (e.g. no id)."""
    if not isinstance(raw, dict):
        return None
    bad = {i.path[depth] for i in found if len(i.path) > depth}
    kept = {k: v for k, v in raw.items() if k not in bad}
    checks = raw.get("acceptance")
    at = [i.path[depth + 1] for i in found if len(i.path) > depth + 1 and i.path[depth] == "acceptance"]
    if "acceptance" in bad and isinstance(checks, list) and at and all(isinstance(j, int) for j in at):
        # only some checks are malformed: the others are still checked (forms, paths, regexes),
        # each at its own index, with a check that raises nothing standing in for the bad ones
        kept["acceptance"] = [_NEUTRAL_CHECK if j in at else c for j, c in enumerate(checks)]
    try:
        return msgspec.convert(kept, TaskSpec)
    except msgspec.ValidationError:
        try:
            return msgspec.convert({k: v for k, v in raw.items() if k not in bad}, TaskSpec)
        except msgspec.ValidationError:
            return None


_NEUTRAL_CHECK = {"file_exists": "."}


def _single(doc: Document, path: PathT, message: str, hint: str | None = None) -> PlanError:
    problem = OrchError(message, doc.locate(path), hint=hint)
    return PlanError(message, problem.where, hint=hint, problems=[problem])


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "empty"
    if isinstance(value, dict):
        return "a mapping"  # the word the docs and the other messages use
    return f"a {type(value).__name__}"
