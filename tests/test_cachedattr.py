"""gitorch.cachedattr.cached_property behaves as functools.cached_property: one computation per
instance, kept in its __dict__, which can set or clear it."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from gitorch.cachedattr import cached_property


def _class(decorator: Any) -> Any:
    class Holder:
        calls = 0

        @decorator
        def value(self) -> int:
            """The value."""
            type(self).calls += 1
            return type(self).calls

    return Holder


@pytest.mark.parametrize("decorator", [cached_property, functools.cached_property])
def test_computed_once_and_kept_in_the_instance(decorator: Any) -> None:
    holder = _class(decorator)
    a, b = holder(), holder()
    assert (a.value, a.value, b.value) == (1, 1, 2) and a.__dict__ == {"value": 1}
    del a.__dict__["value"]
    assert a.value == 3
    a.__dict__["value"] = 7  # set from outside, as the Context's repo is
    assert a.value == 7 and holder.calls == 3
    assert isinstance(holder.__dict__["value"], decorator) and holder.value.__doc__ == "The value."


@pytest.mark.parametrize("decorator", [cached_property, functools.cached_property])
def test_an_instance_without_a_dict_is_a_type_error(decorator: Any) -> None:
    class Slotted:
        __slots__ = ()
        value = decorator(lambda self: 1)

    with pytest.raises(TypeError, match="value"):
        _ = Slotted().value
