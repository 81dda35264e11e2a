"""gitorch.cachedattr.cached_property behaves as functools.cached_property (Python 3.11): one
computation per instance, kept in its __dict__, under a lock; the same errors."""

from __future__ import annotations

import functools
import threading
import time
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
            time.sleep(0.01)  # long enough for the other threads to ask meanwhile
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
    assert a.value == 7
    assert isinstance(holder.__dict__["value"], decorator) and holder.value.__doc__ == "The value."
    c = holder()
    threads = [threading.Thread(target=lambda: c.value) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.value == holder.calls == 4  # one computation for the four threads


def test_the_same_errors() -> None:
    def read(decorator: Any) -> str:
        class Slotted:
            __slots__ = ()
            value = decorator(lambda self: 1)

        with pytest.raises(TypeError) as got:
            _ = Slotted().value
        return str(got.value)

    assert read(cached_property) == read(functools.cached_property)

    def twice(decorator: Any) -> str:
        shared = decorator(lambda self: 1)
        with pytest.raises((TypeError, RuntimeError)) as got:
            type("Twice", (), {"a": shared, "b": shared})
        return str(got.value.__cause__ or got.value)

    assert twice(cached_property) == twice(functools.cached_property)
