"""Random and mutated plans: the loader returns a valid plan or a PlanError whose problems are
all located, and nothing else (no other exception, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.errors import PlanError
from gitorch.plan.load import LoadedPlan, load_plan
from gitorch.repo import Repo, find_repo
from tests.conftest import make_repo
from tests.plan.helpers import GOOD_YAML

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

IDS = st.sampled_from(["A", "B", "C", "EXC-001", "a b", "", "x/y", "S1"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
                    st.text(max_size=8))
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                    max_leaves=8)
CHECK_MAPPING = st.fixed_dictionaries({}, optional={
    "run": st.text(max_size=5), "contains": st.text(max_size=5),
    "in": st.one_of(st.text(max_size=5), st.lists(st.text(max_size=5))),
    "matches": st.sampled_from(["^a", "(", "x+"]), "exit_code": st.integers(0, 2),
    "timeout": st.sampled_from([1, "2m", "x"]), "file_absent": st.text(max_size=5),
})
CHECKS = st.one_of(
    st.sampled_from(["Tests pass: make test", "File exists: a.txt", "Contains: x", "Contains: y in b.md",
                     "File exists: ../out", "Tests pass:", "Runs: x", "File absent: /etc"]),
    CHECK_MAPPING,
    JUNK,
)
SHARD = st.fixed_dictionaries({"id": IDS}, optional={"acceptance": st.lists(CHECKS, max_size=2)})
CONSTRAINTS = st.fixed_dictionaries({}, optional={"timeout": st.sampled_from([5, "1m", "no", -1])})
RETRY = st.fixed_dictionaries({}, optional={"attempts": st.integers(-1, 3),
                                            "backoff": st.sampled_from([1, "2s", "?"])})
TASK = st.fixed_dictionaries(
    {"id": IDS},
    optional={
        "title": st.one_of(st.text(max_size=10), JUNK),
        "type": st.sampled_from(["code_change", "docs", "deploy", "bogus"]),
        "dependencies": st.one_of(st.lists(IDS, max_size=3), JUNK),
        "acceptance": st.lists(CHECKS, max_size=3),
        "shards": st.lists(SHARD, max_size=2),
        "paths": st.one_of(st.lists(st.sampled_from(["src", "../x", "/abs", "a/b"]), max_size=2), JUNK),
        "approvals": st.lists(st.sampled_from(["deploy", "ship"]), max_size=2),
        "constraints": st.one_of(CONSTRAINTS, JUNK),
        "retry": st.one_of(RETRY, JUNK),
        "extra": JUNK,
    },
)
PROJECT = st.fixed_dictionaries({}, optional={"root": st.sampled_from([".", "..", "src"])})
PLAN = st.fixed_dictionaries(
    {},
    optional={
        "version": st.sampled_from([1, 2, "1"]),
        "project": st.one_of(PROJECT, JUNK),
        "orchestrator": st.just({"approvals": {"required": ["deploy"]}}),
        "tasks": st.one_of(st.lists(TASK, max_size=6), JUNK),
        "include": st.sampled_from(["x.yml", ["plan.yml"], []]),
        "bogus": JUNK,
    },
)


def _outcome(path: Path, repo: Repo) -> LoadedPlan | PlanError:
    try:
        return load_plan(path, repo=repo)
    except PlanError as exc:
        assert exc.problems, "a PlanError must list its problems"
        for problem in exc.problems:
            assert problem.where is not None and problem.where.file, f"unlocated problem: {problem!r}"
            assert problem.message
        return exc


def _repo(tmp_path: Path) -> Repo:
    root = tmp_path / "r"
    if not root.exists():
        make_repo(root)
    return find_repo(root)


@SETTINGS
@given(data=st.one_of(PLAN, JUNK), fmt=st.sampled_from(["yml", "json"]))
def test_random_plans_load_or_fail_located(tmp_path: Path, data: Any, fmt: str) -> None:
    repo = _repo(tmp_path)
    assert repo.root is not None
    path = repo.root / f"plan.{fmt}"
    path.write_text(json.dumps(data) if fmt == "json" else yaml.safe_dump(data))
    result = _outcome(path, repo)
    if isinstance(result, LoadedPlan):
        assert len(result.digest) == 64


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(GOOD_YAML)), st.integers(0, 12),
                                st.text(alphabet=" \t\n-:[]{}'\"#&*!|>%@`,?abc01", max_size=4)),
                      min_size=1, max_size=4))
def test_mutated_yaml_loads_or_fails_located(tmp_path: Path, edits: list[tuple[int, int, str]]) -> None:
    repo = _repo(tmp_path)
    assert repo.root is not None
    text = GOOD_YAML
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    path = repo.root / "orchestrator.yml"
    path.write_text(text)
    _outcome(path, repo)


@SETTINGS
@given(blob=st.binary(max_size=64), ext=st.sampled_from(["yml", "json", "toml"]))
def test_random_bytes_fail_located(tmp_path: Path, blob: bytes, ext: str) -> None:
    repo = _repo(tmp_path)
    assert repo.root is not None
    path = repo.root / f"plan.{ext}"
    path.write_bytes(blob)
    _outcome(path, repo)


def test_recursive_yaml_aliases_fail_located(tmp_path: Path) -> None:
    """Aliases can make a YAML document refer to itself; the loader must still answer, at once."""
    repo = _repo(tmp_path)
    assert repo.root is not None
    path = repo.root / "orchestrator.yml"
    for text in ["a: &a [*a]\n", "&a [*a]\n", "tasks: &t [{id: A, dependencies: *t}]\n",
                 "tasks: [&t {id: A, shards: [*t]}]\n", "x: &x {tasks: *x}\ntasks: [*x]\n"]:
        path.write_text(text)
        assert isinstance(_outcome(path, repo), PlanError)
