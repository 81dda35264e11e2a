"""layout.safe_name's shortcut for a name that is safe already gives what its walk over the
characters gives, for any text."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gitorch.store.layout import safe_name


def _walked(text: str) -> str:
    out = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in text).strip(".")
    return out[:120] or "_"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09-_.@ /\\\n\x00é٣²ª—")) | st.characters(), max_size=130))
@example("20261207T105730-24b9e7")
@example("s-01a25026cda2-751")
@example(".hidden")
@example("trailing.")
@example("-_.@")
@example("")
@example("x" * 121)
@example("x" * 120)
def test_the_same_name_as_the_walk(text: str) -> None:
    assert safe_name.__wrapped__(text) == _walked(text)
