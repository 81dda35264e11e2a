"""functools.cached_property without importing functools (and collections, operator, reprlib,
keyword and itertools with it: ~9.5 M instructions, ~11% of `git orch ws snapshot`, P5).

`cached_property` here is Python 3.11's functools.cached_property: the value is computed
once per instance, under a lock, and kept in the instance's __dict__ (so `obj.__dict__[name]`
sets or clears it as before). context.Context and the workspace manifest use it; mypy reads
it as functools' own. tests/test_cachedattr.py holds the two alike.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from functools import cached_property as cached_property
else:
    from _thread import RLock

    _NOT_FOUND = object()

    class cached_property:  # noqa: N801 - named as functools names it
        """A value computed on first access and kept on the instance (functools.cached_property)."""

        def __init__(self, func):
            self.func = func
            self.attrname = None
            self.__doc__ = func.__doc__
            self.lock = RLock()

        def __set_name__(self, owner, name):
            if self.attrname is None:
                self.attrname = name
            elif name != self.attrname:
                raise TypeError("Cannot assign the same cached_property to two different names "
                                f"({self.attrname!r} and {name!r}).")

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            if self.attrname is None:
                raise TypeError("Cannot use cached_property instance without calling __set_name__ on it.")
            try:
                cache = instance.__dict__
            except AttributeError:  # not all objects have __dict__
                msg = (f"No '__dict__' attribute on {type(instance).__name__!r} "
                       f"instance to cache {self.attrname!r} property.")
                raise TypeError(msg) from None
            val = cache.get(self.attrname, _NOT_FOUND)
            if val is _NOT_FOUND:
                with self.lock:
                    val = cache.get(self.attrname, _NOT_FOUND)  # another thread may have filled it
                    if val is _NOT_FOUND:
                        val = self.func(instance)
                        try:
                            cache[self.attrname] = val
                        except TypeError:
                            msg = (f"The '__dict__' attribute on {type(instance).__name__!r} instance does "
                                   f"not support item assignment for caching {self.attrname!r} property.")
                            raise TypeError(msg) from None
            return val
