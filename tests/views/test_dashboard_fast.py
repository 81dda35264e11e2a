"""The dashboard's fast paths (issue 15, P2: a re-run renders TASKS.md for every task) write
what the general ones write: labels escaped at once, the page checked for control characters
in one pass, a plan without shards drawn in one pass, a title-less line written inline."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gitorch.plan.model import Plan, Shard, Task
from gitorch.views import mermaid
from gitorch.views.dashboard import _line, _nodes_with_shards, checklist, escaped, task_flowchart
from gitorch.views.fold import TASK_STATES
from gitorch.views.runviews import RunView, TaskView
from gitorch.views.text import printable

# what the escapes are about, beside plain text: Mermaid's specials, controls, bidi overrides,
# a no-break space (printable() keeps it, str.isprintable() does not), the dashes gitorch writes
TRICKY = st.sampled_from(list('#"<>\n\t\x00\x07\x1b\x7f\x85\x9f\u00a0\u202a\u202e\u2066\u2069—é '))
TEXT = st.lists(st.one_of(TRICKY, st.characters()), max_size=12).map("".join)
STATE = st.sampled_from([*TASK_STATES, "not-a-state"])


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, max_size=8))
@example(["plain", "a\nb"])
@example(["#1", 'say "hi"', "<b>", "a > b"])
def test_labels_are_each_label(texts: list[str]) -> None:
    assert mermaid.labels(texts) == [mermaid.label(t) for t in texts]


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_escaped_is_printable_with_newlines(text: str) -> None:
    assert escaped(text) == printable(text, newlines=True)
    assert escaped("plain — text\n" * 3) == "plain — text\n" * 3


def _run(tasks: list[tuple[str, str, str]], shards: dict[str, dict[str, str]]) -> tuple[RunView, Plan]:
    plan = Plan(tasks=[Task(id=tid, title=title, shards=[Shard(id=s) for s in shards.get(tid, {})],
                            dependencies=[tasks[0][0]] if n and n % 2 else [])
                       for n, (tid, title, _state) in enumerate(tasks)])
    view = RunView(id="r", tasks={tid: TaskView(id=tid, title=title, state=state,  # type: ignore[arg-type]
                                                shards=shards.get(tid, {}))  # type: ignore[arg-type]
                                  for tid, title, state in tasks})
    return view, plan


TASKS = st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9]{0,4}", fullmatch=True), TEXT, STATE),
                 max_size=8, unique_by=lambda t: t[0])


@settings(max_examples=100, deadline=None)
@given(TASKS)
def test_a_plan_without_shards_draws_as_with_them(tasks: list[tuple[str, str, str]]) -> None:
    view, plan = _run(tasks, {})
    ids: dict[str, str] = {}
    lines = ["flowchart TD"]
    by_state: dict[str, list[str]] = {s: [] for s in TASK_STATES}
    assert _nodes_with_shards(view, plan, ids, lines, by_state) == 0
    for planned in plan.tasks:  # the rest as task_flowchart writes it after the nodes
        lines += [f"  {ids[dep]} --> {ids[planned.id]}" for dep in planned.dependencies]
    lines += mermaid.class_defs()
    lines += [f"  class {','.join(nodes)} {name if name in mermaid.STATE_STYLES else 'pending'}"
              for name, nodes in by_state.items() if nodes]
    assert task_flowchart(view, plan) == ("\n".join(lines), sum(len(t.dependencies) for t in plan.tasks))


@settings(max_examples=50, deadline=None)
@given(TASKS, st.data())
def test_checklist_lines_are_line(tasks: list[tuple[str, str, str]], data: st.DataObject) -> None:
    shards = {tid: data.draw(st.dictionaries(st.from_regex(r"s[0-9]", fullmatch=True), STATE, max_size=2))
              for tid, _title, _state in tasks}
    view, plan = _run(tasks, shards)
    want: list[str] = []
    for tid, title, state in tasks:
        want.append(_line(tid, title, state))
        want += [_line(sid, "", s, "  ") for sid, s in shards[tid].items()]
    assert checklist(view, plan) == want
