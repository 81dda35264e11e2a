"""Items read by their shape (plan/shapes.py) mean exactly what PyYAML reads, or are left to
the line reader: many items of one shape with their scalars changed (plain, quoted, tricky
YAML 1.1 scalars, comments, blank lines, errors), checked as test_blockyaml checks documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.resolver import Resolver

from gitorch.errors import PlanError
from gitorch.plan import blockyaml, shapes
from gitorch.plan.source import read_document
from tests.plan.test_blockyaml import SCALARS_11, _agree

# an item's lines; {n} is a scalar's place (its text drawn per item)
ITEM = """\
- id: {0}
  title: {1}
  on: {2}
  paths:
    preferred:
    - {3}
  commands:
    test: {4}
  acceptance:
  - {5}
  - contains: {6}
    in: {7}
  dependencies: []
  retry:
    attempts: {8}
""".splitlines()
PLACES = 9
PLAIN = ["T-00001", "Task number 1", "src/mod1.py", "python -m pytest -q tests/a.py::t", "def f1", "a:b",
         "a#b", "x y z", "http://x/y?q=1#f", "é ü", "T", "Yess", "nul"]
QUOTED = ["'Tests pass: make'", '"File exists: a"']
SAFE = [*PLAIN, *QUOTED]
TRICKY = [*SCALARS_11, "'it''s'", '"a\\tb"', "'x: y'", '""', "''", "v # note", "v  # note", "x  ", "a: b",
          "[a]", "{a: 1}", "[]", "&a x", "*a", "!t x", "- x", "? x", ": x", "#c", "a #b", "<<", "=", "|",
          ">-", "'a", '"b', "'a' b", "- ", "%x", "@x", "`x", "x:", "x: ", ",", " x", "  3", "   'q'"]


def _document(values: list[list[str]], indent: int, gaps: list[tuple[int, int, str]]) -> str:
    lines = ["version: 1", "tasks:"]
    for k, row in enumerate(values):
        item = [" " * indent + line.format(*row) for line in ITEM]
        for at, item_no, gap in gaps:
            if item_no == k:
                item.insert(at % (len(item) - 1) + 1, gap)
        lines += item
    return "\n".join(lines) + "\nsecrets: [A]\n"


class _Counting(shapes.Shapes):
    made: list[shapes.Shapes] = []

    def __init__(self, text: str, lines: list[str]) -> None:
        super().__init__(text, lines)
        self.made.append(self)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[shapes.Shapes]:
    made: list[shapes.Shapes] = []
    monkeypatch.setattr(_Counting, "made", made)
    monkeypatch.setattr(blockyaml, "Shapes", _Counting)
    return made


@pytest.mark.parametrize("indent", [0, 2, 4])
def test_items_of_one_shape_are_read_by_it(indent: int, counted: list[shapes.Shapes]) -> None:
    rows = [[QUOTED[k % 2] if p == 5 else PLAIN[(k + p) % len(PLAIN)] for p in range(PLACES)]
            for k in range(60)]
    text = _document(rows, indent, [])
    assert _agree(text)
    assert counted[0].read_items == 58  # all but the first of each shape (single and double quotes)


def test_every_tricky_scalar_in_every_place(counted: list[shapes.Shapes]) -> None:
    """Each tricky scalar in each place of items that a learnt shape reads otherwise."""
    base = [SAFE[p] for p in range(PLACES)]
    rows = [base, base]
    for scalar in TRICKY:
        for place in range(PLACES):
            rows.append([scalar if p == place else base[p] for p in range(PLACES)])
    for k in range(0, len(rows), 40):  # a document per 40 items: one bad item steps aside for all
        _agree(_document([base, *rows[k:k + 40]], 0, []))
    good = [row for row in rows if all(v in SAFE or v in SCALARS_11 for v in row)]
    assert _agree(_document(good, 2, []))
    assert counted[-1].read_items >= len(good) - 5


SCALAR = st.one_of(*[st.sampled_from(PLAIN)] * 4, st.sampled_from(SAFE), st.sampled_from(TRICKY),
                   st.text(alphabet="ab :#'\"-?.01~xé", min_size=1, max_size=6))
GAP_LINES = ["", "# c", "    # c", "   ", "  bad", "  id: again", "#"]
GAPS = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 11), st.sampled_from(GAP_LINES)), max_size=3)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(values=st.lists(st.lists(SCALAR, min_size=PLACES, max_size=PLACES), min_size=2, max_size=12),
       indent=st.sampled_from([0, 1, 2, 3]), gaps=GAPS)
def test_generated_items_agree(values: list[list[str]], indent: int, gaps: list[tuple[int, int, str]],
                               ) -> None:
    """Items of one structure whose scalars vary: most plain, some quoted or tricky; the
    first item of a structure teaches its shape and the rest are read by it where it fits."""
    for k, row in enumerate(values):
        if k % 3 == 2:
            row[5] = QUOTED[0]  # an acceptance string quoted, as plans write them
    values = [values[0], [*values[0]], *values[1:]]  # a second item like the first: read by its shape
    _agree(_document(values, indent, gaps))


def test_a_repeated_key_is_located_in_any_item() -> None:
    rows = [[SAFE[p] for p in range(PLACES)] for _ in range(5)]
    text = _document(rows, 0, [(1, 3, "  title: again")])
    found: list[tuple[int, int, str]] = []
    blockyaml.load(text, found)
    line = 2 + 3 * len(ITEM) + 3
    assert found == [(line, 3, "title")]
    assert _agree(text)


def test_a_bad_line_in_a_later_item_is_named_by_file_and_line(tmp_path: Path) -> None:
    rows = [[SAFE[p] for p in range(PLACES)] for _ in range(30)]
    rows[20][1] = "a: b"  # a mapping where a scalar belongs: a syntax error
    plan = tmp_path / "orchestrator.yml"
    plan.write_text(_document(rows, 2, []))
    with pytest.raises(PlanError) as caught:
        read_document(plan, "orchestrator.yml")
    where = caught.value.problems[0].where
    assert where is not None and where.file == "orchestrator.yml"
    assert where.line == 2 + 20 * len(ITEM) + 2


def test_the_words_are_those_of_pyyamls_resolvers() -> None:
    """shapes resolves a plain value one by one only when it starts with a character some
    resolver other than bool's and null's words takes, or is one of those words."""
    found: dict[str, set[str]] = {}
    for first, resolvers in Resolver.yaml_implicit_resolvers.items():
        for tag, rx in resolvers:
            if tag.endswith(("bool", "null")):
                assert first is not None and (not first or first.isalpha() or first == "~")
                words = re.sub(r"\s", "", rx.pattern).removeprefix("^(?:").removesuffix(")$").split("|")
                found.setdefault(tag, set()).update(words)
            else:
                assert first is not None and not first.isalpha()
    assert found["tag:yaml.org,2002:bool"] == shapes._BOOL
    assert found["tag:yaml.org,2002:null"] == shapes._NULL


def test_a_shape_stands_only_for_what_it_read() -> None:
    """A shape is kept only when it reads its first item as the line reader did."""
    assert shapes.same({"a": [1]}, {"a": [1]})
    assert not shapes.same({"a": 1}, {"a": True})
    assert not shapes.same({1: "a"}, {True: "a"})
    assert not shapes.same([1.0], [1])
    assert not shapes.same(float("nan"), float("nan"))



def test_spaces_after_a_dash_are_not_part_of_the_value(counted: list[shapes.Shapes]) -> None:
    """`-   x` in an item a shape reads: the shape's `- ` leaves the other spaces to its value's
    group, and YAML skips them: the item is read as `x` (by the line reader), not as `  x`."""
    rows = [[SAFE[p] for p in range(PLACES)] for _ in range(6)]
    rows[4][3] = "  spaced"
    rows[5][3] = " 12"
    text = _document(rows, 2, [])
    assert _agree(text)
    tasks = blockyaml.load(text, [])["tasks"]
    assert tasks[4]["paths"]["preferred"] == ["spaced"] and tasks[5]["paths"]["preferred"] == [12]
    assert counted[0].read_items >= 3


# the expressions _END and _BLANKS stand for, as first written (with optional groups)
_END_WRITTEN = r"(?: +(?:#[^\n]*+)?)?"
_BLANKS_WRITTEN = r"(?:[ ]*+(?:#[^\n]*+)?\n)*+"
_LINE_TAIL = st.lists(st.sampled_from([" ", "  ", "#", "x", ":", "'", "\n", "# c", "\t"]),
                      max_size=8).map("".join)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(before=st.sampled_from(["key:", "'v'", '"v"', "[]", "{}", ""]), tail=_LINE_TAIL)
def test_end_of_a_value_matches_what_it_was_written_as(before: str, tail: str) -> None:
    """_END matches what its first form matched, where a shape puts it (after `key:`, a quote
    or a bracket, before the line break) and alone (the learner's fullmatch of a line's rest)."""
    for suffix in (r"\n", ""):
        new = re.match(re.escape(before) + shapes._END + suffix, before + tail)
        old = re.match(re.escape(before) + _END_WRITTEN + suffix, before + tail)
        assert (new and new.span()) == (old and old.span())
    assert (re.fullmatch(shapes._END, tail) is None) == (re.fullmatch(_END_WRITTEN, tail) is None)
    for indent in (0, 2):
        after = rf"(?= {{0,{indent}}}[^ \n#]|\Z)"
        new = re.match(r"\n" + shapes._BLANKS + after, "\n" + tail)
        old = re.match(r"\n" + _BLANKS_WRITTEN + after, "\n" + tail)
        assert (new and new.span()) == (old and old.span())


@pytest.mark.parametrize("between", [["", "# a comment", "   "], ["#"], []])
def test_lines_after_blank_lines_between_items_keep_their_numbers(
        between: list[str], counted: list[shapes.Shapes]) -> None:
    """Items a shape reads with blank or comment lines after them: a problem further down is
    still named at its own line (the lines a shape reads are counted from its form, not
    counted again in the text)."""
    rows = [[SAFE[p] for p in range(PLACES)] for _ in range(8)]
    lines = ["version: 1", "tasks:"]
    for k, row in enumerate(rows):
        lines += [line.format(*row) for line in ITEM]
        if k in (2, 4, 5):
            lines += between
    text = "\n".join(lines) + "\n"
    dup = len(lines) - len(ITEM) + 2  # a repeated key in the last item (read by the line reader)
    lines.insert(dup, "  title: again")
    found: list[tuple[int, int, str]] = []
    blockyaml.load("\n".join(lines) + "\n", found)
    assert found == [(dup + 1, 3, "title")]
    assert counted[-1].read_items >= 5
    assert _agree(text)
