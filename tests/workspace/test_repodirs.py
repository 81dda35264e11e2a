"""workspace/repodirs.valid_name reads a repo name without `re` (git starts before `re` loads):
it answers exactly as the regular expression it replaces, edge cases and any text alike."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gitorch.workspace.repodirs import valid_name

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # what workspace names were checked with

EDGES = ["", "a", "A", "0", "a.b", "a_b", "a-b", "a-", "a.", "-a", ".a", "_a", ".", "..", "a b", "a/b",
         "a\n", "a\n\n", "\n", "a\nb", "ä", "aé", "a٣", "٣", "a\t", "a\r", "a\r\n", "Ab9._-", "a" * 300,
         "a\u00a0", "ｆｕｌｌ", "a\x00"]


def test_edge_cases_agree_with_the_regular_expression() -> None:
    assert [valid_name(n) for n in EDGES] == [NAME.match(n) is not None for n in EDGES]


@given(st.text(alphabet=st.sampled_from("aZ09._- \n/\t\u00e9\u0663x"), max_size=8) | st.text(max_size=12))
def test_any_text_agrees_with_the_regular_expression(name: str) -> None:
    assert valid_name(name) == (NAME.match(name) is not None)
