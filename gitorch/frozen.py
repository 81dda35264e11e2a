"""Classes that behave as frozen dataclasses, for modules every command (or a hot one) imports.

`dataclasses` loads inspect, ast, dis and tokenize: ~47M instructions, about 18% of `git orch
ws snapshot`'s process. `Record` gives a mutable record what @dataclass gives it; `Frozen`
what @dataclass(frozen=True) gives. A class on a start-up path (context.Context, store/select.Choice,
the workspace manifest's) names its fields in `_fields` and sets them in its own typed
__init__ with `object.__setattr__`; this base gives it what @dataclass(frozen=True) gives:
equality with an instance of the same class, field by field (NotImplemented otherwise),
a hash of the fields, the repr, __match_args__, FrozenInstanceError on assignment or
deletion, and `replace` (dataclasses.replace). The instances keep a __dict__, so
functools.cached_property works on them as on a frozen dataclass.
tests/workspace/test_frozen_classes.py and tests/test_struct_classes.py hold each class
beside the dataclass it was.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    F = TypeVar("F", bound="Frozen")


class Record:
    """Base of a mutable record (a plain @dataclass): subclasses set `_fields` (in declaration
    order; `_unshown`: fields the repr leaves out, as field(repr=False)) and __init__. Equal
    field by field to an instance of the same class, unhashable, the dataclass's repr."""

    __slots__ = ()  # a subclass with __slots__ keeps them; one without gets a __dict__
    _fields: ClassVar[tuple[str, ...]] = ()
    _unshown: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        type.__setattr__(cls, "__match_args__", cls._fields)  # as @dataclass sets it

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq and no frozen

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields
                          if name not in self._unshown)
        return f"{self.__class__.__qualname__}({shown})"


class Frozen(Record):
    """Base of a frozen record: subclasses set `_fields` (in declaration order) and __init__
    (setting each field with object.__setattr__)."""

    def __hash__(self) -> int:  # type: ignore[override]  # frozen: hashable, as a frozen dataclass
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def replace(self: F, **changes: Any) -> F:
        """A copy with `changes`, built by __init__ (as dataclasses.replace)."""
        return self.__class__(**{**{name: getattr(self, name) for name in self._fields}, **changes})
