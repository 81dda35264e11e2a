"""The checks that decide the common case at once (all ids well-formed and unique, every
command runnable, acceptance items parsed once per plan, every task converted in one call)
give the same problems as the detailed checks they stand in front of."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.plan import blockyaml, lazylines, normalize, validate
from gitorch.plan.load import load_plan
from gitorch.plan.model import CommandCheck, Contains, FileExists, Plan, Shard, Task
from gitorch.plan.validate import PlanIssue
from tests.plan.test_shapes import ITEM, PLACES, SAFE

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True)
IDS = st.sampled_from(["A", "B", "a.b-c_d", "9x", "", " A", "A B", "-A", "é", "A\n", "A\nB", "A\x00", "S1"])
COMMANDS = st.sampled_from(["make", "", "  ", "a\nb", "a\x00b", "x\ud800", "a\n\ud800", "\t"])


def _plan(ids: list[tuple[str, list[str]]], commands: list[str] | None = None) -> Plan:
    commands = commands or []
    return Plan(tasks=[
        Task(id=tid, commands={f"c{k}": c for k, c in enumerate(commands)},
             acceptance=[CommandCheck(run=c) for c in commands],
             shards=[Shard(id=s, commands={"s": commands[0]} if commands else {}) for s in shards])
        for tid, shards in ids])


@SETTINGS
@given(st.lists(st.tuples(IDS, st.lists(IDS, max_size=2)), max_size=5), st.sets(st.integers(0, 4)))
def test_ids_at_once_find_what_each_id_finds(ids: list[tuple[str, list[str]]], broken: set[int]) -> None:
    plan = _plan(ids)
    assert validate._ids(plan, broken) == validate._id_issues(plan, broken)


@SETTINGS
@given(st.lists(COMMANDS, max_size=3), st.lists(COMMANDS, max_size=2))
def test_commands_at_once_find_what_each_command_finds(commands: list[str], probes: list[str]) -> None:
    plan = _plan([("A", ["S"]), ("B", [])], commands)
    plan = Plan(tasks=plan.tasks, secret_probes={f"p{k}": c for k, c in enumerate(probes)})
    assert validate._commands(plan) == validate._command_issues(plan)


def test_a_check_parsed_once_is_checked_at_each_place() -> None:
    """Acceptance items are parsed once per text; each task still gets its own problems."""
    from gitorch.plan.spec import AcceptanceSpec

    items = ["File exists: ../x", "Runs: y", AcceptanceSpec(contains="t", in_="/abs"),
             AcceptanceSpec(contains="t", in_=["a", "../b"]), "Contains: z in ok.md"]
    for _ in range(2):  # the second time from what was remembered
        issues: list[PlanIssue] = []
        checks = normalize._checks(items, ("tasks", 3), issues)
        assert [type(c) for c in checks] == [FileExists, Contains, Contains, Contains]
        assert [(i.path, i.message) for i in issues] == [
            (("tasks", 3, "acceptance", 0), "path '../x' leaves the repository"),
            (("tasks", 3, "acceptance", 1), "unknown acceptance check 'Runs: y'"),
            (("tasks", 3, "acceptance", 2), "path '/abs' is absolute"),
            (("tasks", 3, "acceptance", 3), "path '../b' leaves the repository"),
        ]


def test_one_bad_task_among_many_is_found_as_before(tmp_path: Path) -> None:
    """Tasks are converted in one call; when one is malformed, each is converted alone and
    every problem is reported where it is."""
    plan = tmp_path / "orchestrator.yml"
    plan.write_text("version: 1\ntasks:\n- id: A\n- id: B\n  retry: {attempts: 0}\n- id: C\n  title: [x]\n"
                    "- id: D\n  dependencies: [A]\n")
    try:
        load_plan(plan)
    except Exception as exc:  # noqa: BLE001 - the PlanError is inspected below
        problems = [(p.where.line, p.message) for p in exc.problems]  # type: ignore[attr-defined]
    else:
        raise AssertionError("the plan is invalid")
    assert [line for line, _ in problems] == [5, 7]
    assert "expected `int` >= 1" in problems[0][1] or ">= 1" in problems[0][1]


def test_tasks_and_shards_built_by_position_have_each_field_where_it_belongs() -> None:
    """normalize builds Task and Shard by position (model.py's field order): every field of a
    task with no field at its default lands under its own name, as by keyword."""
    from gitorch.plan.model import Build, Constraints, Paths, Retry
    from gitorch.plan.spec import ConstraintsSpec, PathsSpec, RetrySpec, ShardSpec, TaskSpec

    shard = ShardSpec(id="S", title="st", description="sd", commands={"s": "true"},
                      acceptance=["File exists: s"])
    spec = TaskSpec(id="T", title="tt", type="code_change", description="td",
                    paths=PathsSpec(preferred=["p"], forbidden=["f"]), commands={"c": "make"},
                    acceptance=["File exists: a"], dependencies=["D"], shards=[shard],
                    constraints=ConstraintsSpec(timeout="1m", forbidden=["cf"], notes="n"),
                    approvals=["g"], retry=RetrySpec(attempts=2), secrets=["K"], repo="r",
                    outputs=["o"], agent=True)
    for clean in (normalize.Clean(), normalize.Clean(texts=True, paths=True)):
        issues: list[PlanIssue] = []
        got = normalize.task(spec, ("tasks", 0), issues, Build(lint="lint!"), clean)
        assert issues == []
        by_name = Task(
            id="T", title="tt", type="code_change", description="td",
            paths=Paths(preferred=["p"], forbidden=["f"]), commands={"c": "make", "lint": "lint!"},
            acceptance=[FileExists(path="a", label="File exists: a")], dependencies=["D"],
            shards=[Shard(id="S", title="st", description="sd", commands={"s": "true"},
                          acceptance=[FileExists(path="s", label="File exists: s")])],
            constraints=Constraints(timeout=60.0, forbidden=["cf"], notes=["n"]), approvals=["g"],
            retry=Retry(attempts=2), secrets=["K"], repo="r", outputs=["o"], agent=True)
        assert got == by_name
        assert got.repo == "r" and got.outputs == ["o"] and got.agent is True and got.secrets == ["K"]


PATHS = st.lists(st.sampled_from(["src/a.py", "", "/abs", "\\\\x", "~u", "a:b", "a..b", "../x", "a\tb",
                                  "a\nb", "a\x7fb", "a\x1bb", "é/ü", "x\ud800", "docs/", " s",
                                  "a/~b", "a\\b"]), max_size=4)


@SETTINGS
@given(PATHS)
def test_paths_at_once_as_the_expression_decides_them(paths: list[str]) -> None:
    """The ASCII fast path of _plainly_inside decides as _PATH_TROUBLE does, and what it
    passes validate.escapes passes one by one."""
    joined = "\n".join(paths)
    by_expression = not paths or (joined.count("\n") == len(paths) - 1 and ":" not in joined
                                  and ".." not in joined
                                  and normalize._PATH_TROUBLE.search("\n" + joined + "\n") is None)
    assert normalize._plainly_inside(paths) == by_expression
    if by_expression:
        assert all(validate.escapes(p) is None for p in paths)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["t", "a\x1bb", "x\ty\n", "é", "\x7f"]), PATHS,
                          st.booleans()), max_size=4))
def test_checked_holds_what_each_task_checks(tasks: list[tuple[str, list[str], bool]]) -> None:
    """normalize.checked over all tasks says clean exactly when every title, description and
    `paths:` mapping is clean one by one."""
    from gitorch.plan.spec import PathsSpec, ShardSpec, TaskSpec

    specs = [TaskSpec(id=f"T{k}", title=text, description="d",
                      paths=PathsSpec(preferred=paths[:1], forbidden=paths[1:]) if mapping else paths,
                      shards=[ShardSpec(id=f"S{k}", description=text)])
             for k, (text, paths, mapping) in enumerate(tasks)]
    clean = normalize.checked(specs)
    texts = [x for t in specs for x in (t.title, t.description, t.shards[0].title, t.shards[0].description)]
    assert clean.texts == all(normalize._CONTROL.search(x) is None for x in texts)
    given_paths = [p for _, paths, mapping in tasks if mapping for p in paths]
    assert clean.paths == normalize._plainly_inside(given_paths)


@SETTINGS
@given(st.text(alphabet="[{}]a\n", max_size=40), st.integers(0, 12))
def test_brackets_counted_by_find_as_by_count(text: str, limit: int) -> None:
    """source._brackets_over (str.find from one bracket to the next) says what str.count says."""
    from gitorch.plan import source

    assert source._brackets_over(text, limit) == (text.count("[") + text.count("{") > limit)


@SETTINGS
@given(st.lists(st.lists(st.integers(-2, 6), max_size=4), max_size=12))
def test_longest_chain_from_the_forward_order_as_counted(deps: list[list[int]]) -> None:
    """graph.longest_chain from what the one-pass order found (each task's dependency of the
    latest generation) is the chain the count over every edge finds (ties: first task, first
    dependency). Task i depends on task i - d: before it (d > 0), past the start (an unknown
    id), itself or a later task (a cycle, or a forward edge left to the general order)."""
    from gitorch.errors import PlanError
    from gitorch.plan import graph

    plan = Plan(tasks=[Task(id=f"T{i}", dependencies=[f"T{i - d}" if i - d >= 0 else "X" for d in ds])
                       for i, ds in enumerate(deps)])
    try:
        fast = graph.longest_chain(plan)
    except PlanError:
        return  # a cycle: no chain either way
    graph.remember_order(plan, graph.order(plan))  # the order without what the one pass found
    assert graph.longest_chain(plan) == fast


@SETTINGS
@given(st.text(alphabet="ab\n ", max_size=60), st.lists(st.integers(-1, 30), max_size=6), st.integers(1, 8))
def test_lines_split_as_far_as_asked_are_the_lines_split_at_once(base: str, asks: list[int],
                                                                 piece: int) -> None:
    """plan/lazylines: whatever lines are asked for, in whatever order, in pieces of any
    size, the lines split are base.split's; skip_to leaves placeholders, then goes on."""
    every = base.split("\n")
    lines = lazylines.Lines(base)
    lines.piece = piece
    assert lines.total == len(every)
    for j in asks:
        if j >= 0:
            assert lines.through(j) == len(lines.lines) >= min(j + 1, len(every))
            assert lines.lines == every[:len(lines.lines)]
    at = len(lines.lines) + 2
    if at < len(every):
        lines.skip_to(at, sum(map(len, every[:at])) + at)
        lines.all()
        assert lines.lines[at:] == every[at:] and lines.skipped
        assert lines.lines[:at] == [every[k] if k < at - 2 else "" for k in range(at)]
    lines.all()
    assert len(lines.lines) == len(every)
    assert lines.through(len(every) + 3) == len(every)  # nothing past the last line


@SETTINGS
@given(st.text(alphabet="ab\n ", max_size=40), st.integers(1, 8))
def test_lines_skipped_to_the_end_leave_none_to_split(base: str, piece: int) -> None:
    """A shape that read to the end of the text: the lines end there, as many as base.split's,
    without counting them first."""
    every = base.split("\n")
    for at in range(1, len(every) + 1):
        lines = lazylines.Lines(base)
        lines.piece = piece
        lines.skip_to(at, sum(map(len, every[:at])) + at)  # (the offset past the end when at is the last)
        assert lines.through(len(every) + 1) == len(every)
        assert lines.lines[at:] == every[at:]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(1, 400), st.integers(3, 30), st.sampled_from(["", "secrets: [A]\n", "x: |\n  a\n  b\n"]))
def test_a_plan_read_with_its_lines_split_in_small_pieces_reads_the_same(piece: int, count: int,
                                                                          after: str) -> None:
    """blockyaml with the lines split a few characters at a time (and those shapes read never
    split): the same data as split at once, and as PyYAML's."""
    items = [line.format(*[SAFE[(k + p) % len(SAFE)] for p in range(PLACES)]) for k in range(count)
             for line in ITEM]
    items[len(ITEM) * (count // 2) + 2] = "  on: 3"  # one item the shapes leave to the lines
    text = "version: 1\ntasks:\n" + "\n".join(items) + "\n" + after
    whole = blockyaml.load(text, [])
    before = lazylines._FIRST_PIECE
    lazylines._FIRST_PIECE = piece
    try:
        assert blockyaml.load(text, []) == whole == yaml.safe_load(text)
    finally:
        lazylines._FIRST_PIECE = before


@SETTINGS
@given(st.text(alphabet=st.sampled_from([*map(chr, range(0x80)), "é", "\x85", "\u2028", "\ufeff",
                                         "\U0001f600"]), max_size=30))
def test_characters_refused_by_search_as_by_the_class(text: str) -> None:
    """yamlscalar.allowed (ASCII: each refused character looked for) refuses exactly what the
    class of characters YAML does not allow (or the line reader leaves to libyaml) matches."""
    from gitorch.plan import yamlscalar

    by_class = re.search(yamlscalar._REFUSED, text) is not None
    try:
        yamlscalar.allowed(text)
    except yamlscalar.Unsupported:
        assert by_class
    else:
        assert not by_class
