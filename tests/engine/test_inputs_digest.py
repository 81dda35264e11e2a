"""The inputs digest is written without json.dumps (engine/inputs._inputs_text) and the
definition parts memoized per whole definition: the same digests as the canonical JSON."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.engine import inputs as inp

_text = st.text(max_size=12)  # any characters: quotes, backslashes, controls, non-ASCII
_maps = st.dictionaries(_text, _text, max_size=5)


@settings(max_examples=300, deadline=None)
@given(parts=_maps, oids=_maps, deps=_maps)
def test_the_digest_text_is_the_canonical_json(parts: dict[str, str], oids: dict[str, str],
                                               deps: dict[str, str]) -> None:
    expected = inp.canonical([dict(parts), sorted(oids.items()), sorted(deps.items())])
    assert inp._inputs_text(parts, oids, deps) == expected
    assert inp.digest_of(parts, oids, deps) == inp.sha(expected)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(a=st.dictionaries(st.sampled_from(inp.DEFINITION_PARTS), _json),
       b=st.dictionaries(st.sampled_from(inp.DEFINITION_PARTS), _json))
def test_definition_parts_are_each_parts_digest_whatever_was_seen_before(a: dict[str, Any],
                                                                      b: dict[str, Any]) -> None:
    # 1 and True, 1 and 1.0, [] and {} are different parts: a memo hit never mixes them up
    for task in (a, b, a):
        expected = {p: inp.sha(inp.canonical(task.get(p)))[:16] for p in inp.DEFINITION_PARTS}
        assert inp.definition_parts(task) == expected


def test_same_looking_values_of_other_types_have_their_own_digests() -> None:
    seen = [inp.definition_parts({"retry": v})["retry"] for v in (1, True, 1.0, "1", [1], None)]
    assert len(set(seen)) == len(seen)
    got = inp.definition_parts({"commands": {"t": "true"}})
    got["commands"] = "changed by a caller"  # the caller's copy, not the memo's
    assert inp.definition_parts({"commands": {"t": "true"}})["commands"] != "changed by a caller"
