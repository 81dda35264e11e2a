"""The DAG: order, dependents, closures, longest chain, Mermaid and DOT, and `plan graph`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.errors import PlanError, UsageError
from gitorch.plan import graph
from gitorch.plan.model import Plan, Shard, Task
from tests.conftest import OrchRunner
from tests.plan.helpers import write


def _plan(deps: dict[str, list[str]], shards: dict[str, list[str]] | None = None) -> Plan:
    shards = shards or {}
    return Plan(tasks=[Task(id=t, title=f"title of {t}", dependencies=d,
                            shards=[Shard(id=s, title=f"part {s}") for s in shards.get(t, [])])
                       for t, d in deps.items()])


DIAMOND = {"A": [], "B": ["A"], "C": ["A"], "D": ["B", "C"], "E": []}


def test_order_is_generations_in_plan_order() -> None:
    assert graph.order(_plan(DIAMOND)) == [["A", "E"], ["B", "C"], ["D"]]
    assert graph.order(Plan()) == []


def test_order_refuses_a_cycle() -> None:
    with pytest.raises(PlanError, match="cycle"):
        graph.order(_plan({"A": ["B"], "B": ["A"]}))


def test_cycles_lists_each_cycle_in_dependency_direction() -> None:
    plan = _plan({"A": ["B"], "B": ["C"], "C": ["A"], "D": ["D"], "E": ["A"]})
    found = graph.cycles(plan)
    assert len(found) == 2
    rotations = {tuple(c[i:-1] + c[:i] + [c[i]]) for c in found for i in range(len(c) - 1)}
    assert ("A", "B", "C", "A") in rotations and ("D", "D") in rotations


def test_dependents_are_transitive() -> None:
    plan = _plan(DIAMOND)
    assert graph.dependents(plan, "A") == {"B", "C", "D"}
    assert graph.dependents(plan, "D") == set()


def test_closure_runs_dependencies_first() -> None:
    plan = _plan(DIAMOND)
    assert graph.closure(plan, ["D"]) == ["A", "B", "C", "D"]
    assert graph.closure(plan, ["B", "E"]) == ["A", "E", "B"]
    with pytest.raises(UsageError, match="unknown task 'Z'"):
        graph.closure(plan, ["Z"])


def test_longest_chain_and_edges() -> None:
    plan = _plan({"A": [], "B": ["A"], "C": ["B"], "D": ["A"], "X": []})
    assert graph.longest_chain(plan) == ["A", "B", "C"]
    assert graph.edge_count(plan) == 3
    assert graph.longest_chain(Plan()) == []


def test_mermaid_shows_tasks_shards_edges_and_states() -> None:
    plan = _plan({"EXC-001": [], "DOC.1": ["EXC-001"]}, {"EXC-001": ["EXC-001A"]})
    text = graph.to_mermaid(plan, {"EXC-001": "completed", "DOC.1": "failed", "EXC-001A": "completed"})
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  n_EXC_001["EXC-001: title of EXC-001"]' in lines
    assert '  n_EXC_001A(["EXC-001A: part EXC-001A"])' in lines
    assert "  n_EXC_001 --> n_DOC_1" in lines
    assert "  n_EXC_001 -.-> n_EXC_001A" in lines
    assert any(line.startswith("  classDef completed fill:") for line in lines)
    assert "  class n_EXC_001,n_EXC_001A completed" in lines
    assert "  class n_DOC_1 failed" in lines
    assert "classDef" not in graph.to_mermaid(plan)


def test_mermaid_names_stay_unique_and_labels_safe() -> None:
    plan = Plan(tasks=[Task(id="a-b", title='say "hi"'), Task(id="a.b", dependencies=["a-b"])])
    text = graph.to_mermaid(plan)
    assert 'n_a_b["a-b: say #quot;hi#quot;"]' in text
    assert "n_a_b --> n_a_b_2" in text


def test_dot_output() -> None:
    plan = _plan({"A": [], "B": ["A"]}, {"B": ["B1"]})
    text = graph.to_dot(plan, {"A": "completed"})
    assert text.startswith("digraph plan {")
    assert '"A" -> "B";' in text
    assert '"B" -> "B1" [style=dashed, arrowhead=none];' in text
    assert '"A" [label="A\\ntitle of A", fillcolor="#c8e6c9"' in text
    assert text.rstrip().endswith("}")


def test_plan_graph_command(repo: Path, orch: OrchRunner, cli: Callable[..., Any]) -> None:
    write(repo, "orchestrator.yml",
          "tasks:\n  - id: A\n  - id: B\n    dependencies: [A]\n    shards: [{id: B1}]\n")
    proc = orch("plan", "graph")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("flowchart LR\n") and "n_A --> n_B" in proc.stdout
    dot = cli("plan", "graph", "--format", "dot")
    assert dot.exit_code == 0 and '"A" -> "B";' in dot.stdout
    data = json.loads(cli("plan", "graph", "--json").stdout)
    assert data["order"] == [["A"], ["B"]] and data["edges"] == [["A", "B"]]
    assert {"id": "B1", "title": "", "kind": "shard", "task": "B"} in data["nodes"]
    bad = cli("plan", "graph", "--format", "png")
    assert bad.exit_code == 2 and "unknown graph format" in bad.stderr


def _assert_graphlibs_order(plan: Plan) -> None:
    """graph._order gives graphlib's generations for `plan`, or graphlib's error naming its cycle."""
    known = {t.id: i for i, t in enumerate(plan.tasks)}
    try:
        expected: object = graph._order_graphlib(plan, known)
    except PlanError as exc:
        expected = str(exc)
    try:
        got: object = graph._order(plan)
    except PlanError as exc:
        got = str(exc)
    assert got == expected


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from("ABCDEFGH"), st.lists(st.sampled_from("ABCDEFGHZ"), max_size=4)),
                max_size=10))
def test_order_is_graphlibs_order(tasks: list[tuple[str, list[str]]]) -> None:
    """The level-by-level order gives graphlib's generations, for any plan (ids given twice,
    dependencies repeated or unknown, cycles: graphlib's own error names the cycle)."""
    plan = Plan(tasks=[Task(id=tid, dependencies=deps) for tid, deps in tasks])
    _assert_graphlibs_order(plan)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.integers(-2, 12), max_size=4), max_size=12))
def test_order_of_plans_written_forward_is_graphlibs_order(deps: list[list[int]]) -> None:
    """Tasks depending on earlier tasks (the one-pass order), now and then on a later one,
    on itself or on an unknown id (graphlib's order, or its cycle)."""
    plan = Plan(tasks=[Task(id=f"T{i}", dependencies=[f"T{i + d}" if d > 0 else f"T{max(i + d - 1, 0)}"
                                                      if d < 0 else f"X{i}" for d in ds])
                       for i, ds in enumerate(deps)])
    _assert_graphlibs_order(plan)
