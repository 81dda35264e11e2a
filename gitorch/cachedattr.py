"""A property computed on first read and kept on the instance, without importing functools
(and collections, operator, reprlib, keyword and itertools with it: ~9.5 M instructions,
~11% of `git orch ws snapshot`, P5).

It behaves as functools.cached_property does since Python 3.12: the value goes into the
instance's __dict__, which answers every later read (so `obj.__dict__[name]` sets or clears
it); two threads reading it first at once may both compute it. context.Context and the
workspace manifest use it; mypy reads it as functools' own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from functools import cached_property as cached_property
else:

    class cached_property:  # noqa: N801 - named as functools names it
        """A non-data descriptor: once the instance's __dict__ holds the name, it is not called."""

        def __init__(self, func):
            self.func = func
            self.name = func.__name__
            self.__doc__ = func.__doc__

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = self.func(instance)
            try:
                instance.__dict__[self.name] = value
            except AttributeError:
                owner_name = type(instance).__name__
                raise TypeError(f"{owner_name} has no __dict__ to keep {self.name!r} in") from None
            return value
