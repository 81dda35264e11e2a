"""The line reader of block YAML gives exactly what PyYAML's safe loader gives, or steps aside.

Every document it accepts must load to the same data (same types: 1, 1.0 and True differ)
as `yaml.safe_load` and as libyaml's safe loader, with the same keys noted as given twice
as the event loader notes; every document PyYAML refuses it must leave to PyYAML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.plan import blockyaml, fastyaml
from tests.plan.helpers import GOOD_YAML

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        pairs = zip(a, b, strict=True)
        return list(a) == list(b) and all(_same(k, j) and _same(a[k], b[j]) for k, j in pairs)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return b != b
    return bool(a == b)


def _agree(text: str) -> bool:
    """Whether the line reader accepted `text`; when it did, the data and the keys given
    twice agree with PyYAML: libyaml's safe loader (what the plan loader falls back to),
    `yaml.safe_load` (where PyYAML's own parser reads the text at all: the two differ on
    a few flow collections), and the event loader."""
    found: list[tuple[int, int, str]] = []
    try:
        mine = blockyaml.load(text, found)
    except fastyaml.Unsupported:
        return False
    try:
        full = yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
    except Exception as exc:  # noqa: BLE001 - any refusal by PyYAML is a failure of the reader
        raise AssertionError(f"the line reader accepted what libyaml refuses ({exc}): {text!r}") from None
    assert _same(mine, full), (text, mine, full)
    try:
        pure = yaml.safe_load(text)
    except yaml.YAMLError:
        assert "[" in text or "{" in text, text  # only flow collections are read differently
    else:
        assert _same(mine, pure), (text, mine, pure)
    events: list[tuple[int, int, str]] = []
    try:
        fastyaml.load(text, events)
    except fastyaml.Unsupported:
        return True
    assert found == events, text
    return True


SCALARS_11 = [
    "yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "n", "true", "False", "~", "null", "Null",
    "NULL", "1_000", "0o7", "017", "08", "0x1F", "0x_1", "0b101", "+12", "-5", "1:30", "-1:30:00", "1e3",
    "1.0e3", "1.0e+3", "6.8523015e+5", "685.230_15e+03", "190:20:30.15", ".inf", "-.Inf", "+.INF", ".nan",
    ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-12-14 0:0:0Z",
    "2001-2-3", "0.", ".5", "-.5e3", "1__0", "_1", "T-00001", "a b  c", "x:y", "a#b", "-x", "?x", ":x",
    "http://x/y?q=1#f", "1.2.3", "0", "-0", "+0.0", "1_000.5", "12:60", "Ѐ", "été", "日本", "😀",
]


@pytest.mark.parametrize("scalar", SCALARS_11)
def test_yaml_1_1_scalars_mean_what_they_mean_to_pyyaml(scalar: str) -> None:
    text = f"k: {scalar}\n{scalar}: v\nl:\n- {scalar}\n"
    assert _agree(text), text
    _agree(f"l: [{scalar}]\n")


@pytest.mark.parametrize("text", [
    GOOD_YAML,
    "---\na: 1\n", "--- # the plan\na: 1\n", "# c\n\n---\n- x\n", "", "# only a comment\n", "a:\n",
    "a:\nb:\n",
    "a:\n- 1\n- 2\nb: 3\n", "a:\n  - 1\n  -\n  - - x\n    - y\n", "- a: 1\n  b: 2\n- c\n-\n  d: 4\n",
    "a: 'it''s'\nb: \"q\\tx\\u00e9\"\nc: ''\n'k e y': 1\n\"d k\": 2\n", "a: b # c\n# d\n  # e\nf: g   \n",
    "x: |\n  one\n\n  two\n   three\n\ny: 1\n", "x: |-\n  a\n  b\n", "x: >\n  a\n  b\n\n  c\n",
    "x: >-\n  a\n",
    "x: |\n\n  a\n", "x: |\ny: 2\n", "x: |\n  last", "- |\n  in a list\n- >\n  folded\n  too\n",
    "deps: []\nmore: {}\nl: [a, 'b', {c: d}]\nm: {a: 1, b: [2]}\n", "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n",
    "  a: 1\n  b: 2\n", "a:\n    b: 1\n    c:\n      - d\n", "a: - b\n", "a: b: c\n", "- a\nb: 1\n",
    "a: 1\n b: 2\n", "a: x\n  y\n", "a: 'x\n  y'\n", "a: [1,\n  2]\n", "a: &x 1\nb: *x\n", "a: !!str 1\n",
    "<<: {a: 1}\n", "a: =\n", "? a\n: b\n", "a: 1\n---\nb: 2\n", "%YAML 1.1\n---\na: 1\n", "a:\tb\n",
    "a: 1\r\nb: |\r\n  x\r\n", "a: b\x85c\n", "a: b\x01c\n", "a: b\x1b[0m\n", "a: \x00\n",
    "a: \x0c\n", "a: 'x' y\n", "a: \"x\" # c\n", "a: @x\n", "a: `x\n",
    "a: |2\n  x\n",
    "a: |+\n  x\n\n", "a: >\n  x\n   more\n  y\n", "a: 1\n...\n", "- - - x\n", "a:\n-\n- b\n",
    "1: a\n1.0: b\n",
    ".nan: 1\n.nan: 2\n", "yes: 1\ntrue: 2\n", "a: " + "9" * 5000 + "\n", "k" * 1100 + ": v\n",
])
def test_documents_agree_or_are_left_to_pyyaml(text: str) -> None:
    _agree(text)


def test_plans_as_written_are_read_by_the_line_reader() -> None:
    """The forms plans use stay on the fast path (not only the rare ones step aside)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from bench_plan import generate

    text = yaml.safe_dump(generate(300), sort_keys=False)
    assert _agree(text)
    for accepted in (GOOD_YAML, "a: |\n  x\nb: >-\n  y\n  z\nc: [1, 2]\n", "---\n- a: 'b'\n  c: \"d\"\n"):
        assert _agree(accepted), accepted


def test_keys_given_twice_are_located() -> None:
    found: list[tuple[int, int, str]] = []
    assert blockyaml.load("a: 1\nb:\n  c: 2\n  c: 3\na: 4\nl: [{x: 1, x: 2}]\n", found) == {
        "a": 4, "b": {"c": 3}, "l": [{"x": 2}]}
    assert found == [(4, 3, "c"), (5, 1, "a"), (6, 12, "x")]


@pytest.mark.parametrize("text", [
    "a: &x 1\n", "a: *x\n", "a: !t 1\n", "--- 1\n--- 2\n", "? a\n: 1\n", "a:\tb\n", "a: 'b\n  c'\n",
    "a: x\n  y\n", "a: |1\n  x\n", "1\n", "a: [1,\n 2]\n", "a: b\x7f\n", "a: b\x01\n", "a\x1b: b\n",
])
def test_steps_aside_for_the_rest(text: str) -> None:
    with pytest.raises(fastyaml.Unsupported):
        blockyaml.load(text, [])


# --- generated documents ------------------------------------------------------------------

TEXT = st.text(alphabet="ab -:#'\"\\|>[]{},?!&*%@`~.01xyé", max_size=8)
PLAIN = st.one_of(st.sampled_from(SCALARS_11), TEXT)
KEYS = st.one_of(st.sampled_from(["id", "title", "a", "b", "yes", "on", "1", "x y", "a:b", "~", "1.5", "'q'",
                                  '"d"']),
                 st.text(alphabet="ab -:#.01xyé", min_size=1, max_size=6))


def _scalar(draw: Any, indent: int) -> list[str]:
    """A scalar as written after `key: ` or `- `: the first line and any lines below."""
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "literal", "folded", "flow",
                                  "comment"]))
    value = draw(PLAIN)
    if style == "single":
        return ["'" + value.replace("'", "''") + "'"]
    if style == "double":
        escape = draw(st.sampled_from(["", "\\t", "\\n"]))
        return ['"' + value.replace("\\", "\\\\").replace('"', '\\"') + escape + '"']
    if style in ("literal", "folded"):
        head = ("|" if style == "literal" else ">") + draw(st.sampled_from(["", "", "-", "-", "+", "2"]))
        body = draw(st.lists(st.sampled_from(["", "text", " more", "a: b", "# not a comment"]), max_size=4))
        pad = " " * (indent + draw(st.integers(1, 3)))
        return [head, *[pad + line if line else "" for line in body]]
    if style == "flow":
        return [draw(st.sampled_from(["[]", "{}", f"[{value}]", f"{{k: {value}}}", "[a, b]"]))]
    if style == "comment":
        return [value + " # note"]
    return [value]


def _node(draw: Any, indent: int, depth: int) -> tuple[str, list[str]]:
    """("map" | "seq" | "scalar", lines): a block node whose lines start at `indent`."""
    kinds = ["scalar", "map", "seq"] if 0 < depth < 3 else ["map", "seq"] if not depth else ["scalar"]
    kind = draw(st.sampled_from(kinds))
    if kind == "scalar":
        return kind, _scalar(draw, indent)
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        head = " " * indent + (f"{draw(KEYS)}:" if kind == "map" else "-")
        step = draw(st.sampled_from([1, 2, 4]))
        sub, body = _node(draw, indent + step, depth + 1)
        if sub == "scalar":
            lines.append(f"{head} {body[0]}")
            lines += body[1:]
        elif kind == "map" and sub == "seq" and draw(st.booleans()):  # a list under its key
            sub, body = _node(draw, indent, depth + 1)
            lines.append(head)
            lines += body
        else:
            lines.append(head)
            lines += body
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "# comment", " " * indent + "# c", "   "])))
    return kind, lines


@st.composite
def documents(draw: Any) -> str:
    _, lines = _node(draw, 0, 0)
    end = draw(st.sampled_from(["\n", "", "\n\n"]))
    return draw(st.sampled_from(["", "---\n"])) + "\n".join(lines) + end


@settings(max_examples=600, deadline=None, derandomize=True)
@given(text=documents())
def test_generated_documents_agree(text: str) -> None:
    _agree(text)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), st.dates(),
                    st.sampled_from(SCALARS_11))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=DATA, indent=st.sampled_from([2, 4]), width=st.sampled_from([20, 80, 1000]),
       style=st.sampled_from([None, "'", '"', "|"]), unicode=st.booleans())
def test_dumped_documents_agree(data: Any, indent: int, width: int, style: str | None, unicode: bool) -> None:
    _agree(yaml.safe_dump(data, default_flow_style=False, indent=indent, width=width, default_style=style,
                          allow_unicode=unicode))


MUTATIONS = " \t\r\n-:[]{}'\"#&*!|>%@`,?<=~.01abx\x85\x01\x1b\x0c\x00é"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(edits=st.lists(st.tuples(st.integers(0, len(GOOD_YAML)), st.integers(0, 8),
                                st.text(alphabet=MUTATIONS, max_size=4)),
                      min_size=1, max_size=4))
def test_mutated_documents_agree(edits: list[tuple[int, int, str]]) -> None:
    text = GOOD_YAML
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    _agree(text)


BAD_PLAN = """\
version: 1
tasks:
  - id: A
    title: "tab\\there"
    type: chore
    dependencies: [B, Z]
    acceptance:
      - "Runs: x"
      - {contains: t, in: ../out}
  - id: B
    dependencies:
      - A
    commands:
      lint: ruff
      lint: ruff check .
  - id: a b
    paths: /etc
    description: |
      two
      lines
"""


@pytest.mark.parametrize("text", [BAD_PLAN, GOOD_YAML, "version: 1\ntasks:\n- id: A\n  title: [\n",
                                  "version: 1\ntasks: {a: 1}\n"])
def test_plans_load_to_the_same_plan_or_the_same_located_problems(
        text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through load_plan: the line reader gives the same plan, or the same problems at the
    same lines and columns, as the event loader and the full loader."""
    from gitorch.errors import PlanError
    from gitorch.plan.load import load_plan

    plan = tmp_path / "orchestrator.yml"
    plan.write_text(text)

    def outcome() -> Any:
        try:
            loaded = load_plan(plan)
        except PlanError as exc:
            return [(p.where.line if p.where else None, p.where.column if p.where else None, str(p))
                    for p in exc.problems]
        return loaded.plan

    monkeypatch.setenv("GITORCH_PLAN_CACHE", "0")
    fast = outcome()
    if text in (BAD_PLAN, GOOD_YAML):
        assert _agree(text)  # read by the line reader
    if text == BAD_PLAN:
        assert len(fast) >= 6 and all(line for line, _, _ in fast), fast

    def refuse(text: str, duplicates: list[tuple[int, int, str]]) -> Any:
        raise fastyaml.Unsupported("test")

    monkeypatch.setattr(blockyaml, "load", refuse)
    assert outcome() == fast
    monkeypatch.setattr(fastyaml, "load", refuse)
    assert outcome() == fast


FLOW_ITEMS = [*SCALARS_11, "a", "b-2", "make test", "src/a.py", "a -b", "x=1", "a+b", " a", "a ", "  b  ", "",
              "a  b", "'q'", '"q"', "[a]", "{a: 1}", "a: b", "a #b", "-", "- a", "? a", "&x a", "*x", "!t a",
              "=", "<<", "._", "1e5", "0x1F", "2001-12-14", '"Contains: x"', "'a: b'", '" sp "', "'it''s'",
              '"a\\"b"', '"a]"', "'#'", '"x #y"', '"a', "'", '"', "a'b", 'a"b', "'[x]'", "\"{}\""]
FLOW_KEYS = ["a", "in", "exit_code", "run", "on", "y", "Yes", "1", "_k", " k", "k ", "k:", "a-b", "a.b", "",
             "'q'"]
FLOW_AFTER = ["", "  ", " # c", "# c", "  #c", " #", " x"]


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(FLOW_ITEMS), min_size=1, max_size=5), st.booleans(),
       st.sampled_from(FLOW_AFTER))
def test_a_list_of_words_on_one_line_reads_as_pyyaml_reads_it(items: list[str], dash: bool,
                                                              after: str) -> None:
    """`key: [a, b]` and `- [a, b]`: the words and simple quoted scalars read by the line
    reader itself (plan/flowline.py) mean what PyYAML reads; anything else in the brackets is
    left to the event loader, which agrees too."""
    _agree_or_refused("[" + ",".join(items) + "]" + after, dash)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(FLOW_KEYS), st.sampled_from([": ", ":", " : ", ":  "]),
                          st.sampled_from(FLOW_ITEMS)), min_size=1, max_size=4),
       st.booleans(), st.sampled_from(FLOW_AFTER))
def test_a_mapping_of_words_on_one_line_reads_as_pyyaml_reads_it(
        pairs: list[tuple[str, str, str]], dash: bool, after: str) -> None:
    """`key: {a: 1, b: "x y"}`: as PyYAML reads it, its keys given twice found where the event
    loader finds them."""
    _agree_or_refused("{" + ", ".join(k + sep + v for k, sep, v in pairs) + "}" + after, dash)


def _agree_or_refused(body: str, dash: bool) -> None:
    text = f"top:\n- {body}\n" if dash else f"key: {body}\nother: [x, y]\n"
    try:
        _agree(text)
    except AssertionError:
        raise
    except Exception:  # noqa: BLE001 - PyYAML refuses the text: so must the readers (below)
        with pytest.raises(Exception):  # noqa: B017, PT011
            yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader


def test_a_plan_with_lists_of_words_does_not_import_pyyaml(tmp_path: Path) -> None:
    """A real process validating a plan written with `[a, b]` lists: PyYAML is not loaded."""
    plan = tmp_path / "orchestrator.yml"
    plan.write_text("version: 1\ntasks:\n- id: a\n  paths: [src, docs/x.md]  # two\n- id: b\n"
                    "  dependencies: [a]\n"
                    "  commands: {test: make test}\n  approvals: []\n  acceptance: ['Contains: x']\n"
                    "  retry: {attempts: 3, backoff: 10s}\n")
    code = ("import sys; from pathlib import Path; from gitorch.plan.source import read_document; "
            f"d = read_document(Path({str(plan)!r}), 'p'); print(d.data['tasks'], 'yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("[{'id': 'a', 'paths': ['src', 'docs/x.md']}, {'id': 'b', "
                                  "'dependencies': ['a'], 'commands': {'test': 'make test'}, "
                                  "'approvals': [], 'acceptance': ['Contains: x'], "
                                  "'retry': {'attempts': 3, 'backoff': '10s'}}] False")
