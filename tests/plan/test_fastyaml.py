"""The event-built YAML loader gives exactly what PyYAML's safe loader gives, or steps aside."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.plan import fastyaml
from tests.plan.helpers import GOOD_YAML

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _both(text: str) -> tuple[Any, Any]:
    try:
        fast: Any = ("ok", fastyaml.load(text, []))
    except fastyaml.Unsupported:
        fast = ("unsupported",)
    try:
        full: Any = ("ok", yaml.load(text, Loader=LOADER))  # noqa: S506 - a safe loader
    except Exception as exc:  # noqa: BLE001 - any failure of the full loader is compared
        full = ("error", type(exc).__name__)
    return fast, full


def _agree(text: str) -> None:
    fast, full = _both(text)
    if fast[0] == "ok":
        assert full[0] == "ok", f"fast path accepted what PyYAML refuses: {text!r}"
        assert repr(fast[1]) == repr(full[1]), text  # repr: NaN and recursive lists compare too


@pytest.mark.parametrize("text", [
    GOOD_YAML,
    "a: [1, 2.5, yes, ~, 2001-12-14, 2001-12-14t21:59:43.10-05:00, 0x1f, 1_000, 'q', !!str 3, ! 4, 1:30,"
    " .inf, -.nan, 0o17, 017, +12, '', null, NO, off, 1e3, 1.0e3, 0b101, !!float 1, !!bool yes]\n"
    "b: |\n  block\nc: >-\n  folded\n  text\n",
    "a: &a [*a]\n", "x: &x {y: *x}\n", "", "# only a comment\n", "- 1\n- [2, {3: 4}]\n", "? a\n: b\n",
])
def test_agrees_with_pyyaml(text: str) -> None:
    fast, _ = _both(text)
    assert fast[0] == "ok"
    _agree(text)


@pytest.mark.parametrize("text", [
    "<<: {a: 1}\n", "x: !!set {a}\n", "--- 1\n--- 2\n", "a: *b\n", "? [a]\n: 1\n", "&a x: &a y\n",
    "a: [1\n", "x: !!binary aGVsbG8=\n", "x: !custom 1\n", "a: =\n",
])
def test_steps_aside_for_the_rest(text: str) -> None:
    with pytest.raises(fastyaml.Unsupported):
        fastyaml.load(text, [])


def test_notes_keys_given_twice() -> None:
    found: list[tuple[int, int, str]] = []
    assert fastyaml.load("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n", found) == {"a": 4, "b": {"c": 3}}
    assert found == [(4, 3, "c"), (5, 1, "a")]


TRICKY = st.sampled_from(["yes", "no", "on", "~", "1:30", "0x1F", ".nan", "1_0", "=", "<<"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), st.dates(),
                    TRICKY)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=15,
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=DATA, flow=st.sampled_from([None, True, False]))
def test_random_documents_agree(data: Any, flow: bool | None) -> None:
    _agree(yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(edits=st.lists(st.tuples(st.integers(0, len(GOOD_YAML)), st.integers(0, 8),
                                st.text(alphabet=" \t\n-:[]{}'\"#&*!|>%@`,?<=~.01abx", max_size=4)),
                      min_size=1, max_size=4))
def test_mutated_documents_agree(edits: list[tuple[int, int, str]]) -> None:
    text = GOOD_YAML
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    _agree(text)
