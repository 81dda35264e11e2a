"""Loading plans: discovery, the four formats, includes, normalization, digests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitorch.errors import PlanError
from gitorch.plan.load import load_plan
from gitorch.plan.model import CommandCheck, Contains, FileExists, Matches
from tests.plan.helpers import GOOD_YAML, dump, write


def test_finds_plan_at_repo_root_from_subfolder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, "orchestrator.yml", GOOD_YAML)
    sub = repo / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    loaded = load_plan()
    assert loaded.file == repo / "orchestrator.yml"
    assert loaded.root == repo
    assert [t.id for t in loaded.plan.tasks] == ["EXC-001", "DOC-001", "DEP-001"]
    assert loaded.files == [repo / "orchestrator.yml"]


@pytest.mark.parametrize("name", ["orchestrator.yaml", "orchestrator.json", "orchestrator.toml"])
def test_finds_other_plan_names(repo: Path, name: str) -> None:
    fmt = {"yaml": "yaml", "json": "json", "toml": "toml"}[name.rsplit(".", 1)[1]]
    write(repo, name, dump(yaml.safe_load(GOOD_YAML), fmt))
    assert load_plan().file.name == name


def test_normalizes_shorthands_and_acceptance(repo: Path) -> None:
    write(repo, "orchestrator.yml", GOOD_YAML)
    plan = load_plan().plan
    exc, doc, dep = plan.tasks
    assert exc.acceptance == [
        CommandCheck(run="python -m pytest -q", label="Tests pass: python -m pytest -q"),
        FileExists(path="src/error.py", label="File exists: src/error.py"),
        Contains(text="class AppError", label="Contains: class AppError"),
    ]
    assert exc.shards[0].acceptance == [
        Contains(text="class AppError", paths=["src/error.py"],
                 label="Contains: class AppError in src/error.py")
    ]
    assert list(exc.commands) == ["lint", "test"]  # order kept: it is the order they run in
    assert doc.paths.preferred == ["docs/"]
    assert doc.acceptance[0] == Contains(text="AppError", paths=["docs/errors.md"],
                                         label="contains: AppError in docs/errors.md")
    assert dep.constraints.timeout == 5400.0
    assert dep.retry.attempts == 3 and dep.retry.backoff == 10.0
    assert plan.gates_for(dep) == ["deploy"]  # a declared gate named like the task's type


@pytest.mark.parametrize("ext", ["yml", "yaml", "json", "toml"])
def test_formats_are_equivalent(repo: Path, ext: str) -> None:
    """The same plan in each format, split over an include: the same tasks, the same digest."""
    reference = load_plan(write(repo, "reference.yml", GOOD_YAML))
    fmt = "yaml" if ext in ("yml", "yaml") else ext
    data = yaml.safe_load(GOOD_YAML)
    tasks = data.pop("tasks")
    write(repo, f"tasks/more.{ext}", dump({"tasks": tasks[1:]}, fmt))
    main_data = {"tasks": tasks[:1], **data, "include": [f"tasks/more.{ext}"]}
    main = write(repo, f"plan.{ext}", dump(main_data, fmt))
    loaded = load_plan(main)
    assert loaded.plan == reference.plan
    assert loaded.digest == reference.digest
    assert [p.name for p in loaded.files] == [f"plan.{ext}", f"more.{ext}"]


def test_digest_ignores_key_order_but_not_content(repo: Path) -> None:
    data = yaml.safe_load(GOOD_YAML)
    write(repo, "a.json", dump(data, "json"))
    shuffled = {k: data[k] for k in reversed(list(data))}
    shuffled["tasks"] = [{k: t[k] for k in reversed(list(t))} for t in data["tasks"]]
    write(repo, "b.json", dump(shuffled, "json"))
    assert load_plan(repo / "a.json").digest == load_plan(repo / "b.json").digest
    data["tasks"][0]["title"] = "changed"
    write(repo, "c.json", dump(data, "json"))
    assert load_plan(repo / "c.json").digest != load_plan(repo / "a.json").digest


def test_include_relative_to_including_file_and_globs(repo: Path) -> None:
    write(repo, "orchestrator.yml", "version: 1\ninclude: [plans/main.yml]\n")
    write(repo, "plans/main.yml", "include: 'parts/*.yml'\ntasks:\n  - id: A\n")
    write(repo, "plans/parts/b.yml", "- id: B\n  dependencies: [A]\n")  # a bare list of tasks
    write(repo, "plans/parts/c.yml", "tasks:\n  - id: C\n    dependencies: [B]\n")
    loaded = load_plan()
    assert [t.id for t in loaded.plan.tasks] == ["A", "B", "C"]
    assert [p.relative_to(repo).as_posix() for p in loaded.files] == [
        "orchestrator.yml", "plans/main.yml", "plans/parts/b.yml", "plans/parts/c.yml"]


def test_include_twice_counts_once(repo: Path) -> None:
    write(repo, "orchestrator.yml", "include: [a.yml, b.yml]\n")
    write(repo, "a.yml", "include: [common.yml]\ntasks: [{id: A}]\n")
    write(repo, "b.yml", "include: [common.yml]\ntasks: [{id: B}]\n")
    write(repo, "common.yml", "tasks: [{id: C}]\n")
    assert [t.id for t in load_plan().plan.tasks] == ["A", "C", "B"]


def test_include_cycle_is_reported_with_the_chain(repo: Path) -> None:
    write(repo, "orchestrator.yml", "include: [tasks/a.yml]\ntasks: [{id: A}]\n")
    write(repo, "tasks/a.yml", "include: [b.yml]\ntasks: [{id: B}]\n")
    write(repo, "tasks/b.yml", "include: [../orchestrator.yml]\ntasks: [{id: C}]\n")
    with pytest.raises(PlanError) as info:
        load_plan()
    (problem,) = info.value.problems
    chain = "orchestrator.yml -> tasks/a.yml -> tasks/b.yml -> orchestrator.yml"
    assert problem.message == f"include cycle: {chain}"
    assert problem.where is not None
    assert (problem.where.file, problem.where.line, problem.where.path) == ("tasks/b.yml", 1, "include[0]")


def test_problems_in_included_files_point_at_them(repo: Path) -> None:
    write(repo, "orchestrator.yml",
          "include: [tasks/x.yml, tasks/missing.yml, tasks/bad.yml]\ntasks: [{id: A}]\n")
    write(repo, "tasks/x.yml", "tasks:\n  - id: B\n    dependencies: [A, Q]\n")
    write(repo, "tasks/bad.yml", "tasks: [\n")
    with pytest.raises(PlanError) as info:
        load_plan()
    found = {(p.where.file, p.where.line, p.where.path, p.message) for p in info.value.problems if p.where}
    assert ("tasks/x.yml", 3, "tasks[0].dependencies[1]", "unknown dependency 'Q'") in found
    assert ("orchestrator.yml", 1, "include[1]", "included file 'tasks/missing.yml' not found") in found
    assert any(f == "tasks/bad.yml" and m.startswith("invalid YAML") for f, _, _, m in found)


def test_include_outside_repo_is_refused(repo: Path, tmp_path: Path) -> None:
    write(tmp_path, "outside.yml", "tasks: [{id: X}]\n")
    write(repo, "orchestrator.yml", "include: [../outside.yml]\n")
    with pytest.raises(PlanError) as info:
        load_plan()
    assert "outside the repository" in info.value.problems[0].message


def test_project_root_resolves_under_repo(repo: Path) -> None:
    (repo / "svc").mkdir()
    write(repo, "orchestrator.yml", "project: {root: svc}\ntasks: [{id: A}]\n")
    assert load_plan().root == repo / "svc"
    write(repo, "orchestrator.yml", "project: {root: nope}\ntasks: [{id: A}]\n")
    with pytest.raises(PlanError, match="not a directory"):
        load_plan()


def test_every_check_form_parses(repo: Path) -> None:
    write(repo, "orchestrator.yml", """\
        tasks:
          - id: A
            paths: src
            acceptance:
              - {run: "make check", exit_code: 3, timeout: 90s, label: Checks}
              - {file_exists: a.txt}
              - {file_absent: tmp/}
              - {contains: TODO, in: a.py}
              - {not_contains: print(, in: [a.py, b.py]}
              - {matches: '^def \\w+', in: src}
              - "File absent: build/"
              - 'Contains: "a in b"'
              - "Contains: x in y z"
        """)
    task = load_plan().plan.tasks[0]
    kinds = [type(c).__name__ for c in task.acceptance]
    assert kinds == ["CommandCheck", "FileExists", "FileAbsent", "Contains", "NotContains", "Matches",
                     "FileAbsent", "Contains", "Contains"]
    run = task.acceptance[0]
    assert isinstance(run, CommandCheck) and (run.exit_code, run.timeout, run.label) == (3, 90.0, "Checks")
    assert isinstance(task.acceptance[5], Matches) and task.acceptance[5].paths == ["src"]
    assert task.acceptance[7] == Contains(text="a in b", label='Contains: "a in b"')
    assert task.acceptance[8] == Contains(text="x in y z", label="Contains: x in y z")  # "y z" is no path
    assert task.paths.preferred == ["src"]


def test_plan_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "plan.yml", "tasks: [{id: A}]\n")
    loaded = load_plan("plan.yml")
    assert loaded.root == tmp_path and loaded.plan.tasks[0].id == "A"


def test_yaml_keys_given_twice_are_reported(repo: Path) -> None:
    write(repo, "orchestrator.yml", """\
        tasks:
          - id: A
            commands:
              test: make a
              test: make b
        """)
    with pytest.raises(PlanError) as info:
        load_plan()
    (problem,) = info.value.problems
    assert problem.message == "key `test` appears twice in one mapping"
    assert problem.where is not None and (problem.where.line, problem.where.column) == (5, 7)


def test_anchors_under_x_keys_and_merge_keys(repo: Path) -> None:
    write(repo, "orchestrator.yml", """\
        x-python: &python
          type: test
          commands: {test: "python -m pytest -q"}
        tasks:
          - <<: *python
            id: A
          - <<: *python
            id: B
            type: docs
        """)
    a, b = load_plan().plan.tasks
    assert (a.type, a.commands) == ("test", {"test": "python -m pytest -q"})
    assert (b.type, b.commands) == ("docs", {"test": "python -m pytest -q"})  # merge keys override


def test_a_timebox_may_be_seconds_as_a_number(repo: Path) -> None:
    """docs/plan.md: durations are seconds as a number or strings; `timebox: 90` was refused."""
    write(repo, "orchestrator.yml", "tasks:\n  - {id: A, constraints: {timebox: 90}}\n"
                                    "  - {id: B, constraints: {timebox: 1.5}}\n"
                                    "  - {id: C, constraints: {timebox: 2m}}\n")
    assert [t.constraints.timebox for t in load_plan().plan.tasks] == ["90s", "1.5s", "2m"]
    write(repo, "orchestrator.yml", "tasks:\n  - {id: A, constraints: {timebox: -1}}\n")
    with pytest.raises(PlanError, match="timebox must be a finite number of seconds"):
        load_plan()


@pytest.mark.parametrize("ext", ["yml", "json"])
def test_a_plan_loads_without_importing_hashlib(repo: Path, ext: str) -> None:
    """Validating a plan makes no digest (OpenSSL's hashlib is loaded for the plan cache and
    the digest only); the digest, when asked, is still there (a small plan's by CPython's own
    SHA-256: gitorch/digests)."""
    import json
    import subprocess
    import sys

    plan = repo / f"orchestrator.{ext}"
    data = {"version": 1, "tasks": [{"id": "A"}, {"id": "B", "dependencies": ["A"]}]}
    plan.write_text(json.dumps(data) if ext == "json" else yaml.safe_dump(data))
    code = ("import os, sys; os.environ['GITORCH_PLAN_CACHE'] = '0'; "
            "from gitorch.plan.load import load_plan; "
            f"p = load_plan({str(plan)!r}); print(len(p.plan.tasks), 'hashlib' in sys.modules, "
            "len(p.digest), 'hashlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.split() == ["2", "False", "64", "False"]
