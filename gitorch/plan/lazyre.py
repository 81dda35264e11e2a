"""Regular expressions compiled when first used instead of at import.

Python's `re` compiles a pattern in Python code (~0.1-0.5 ms each): the plan modules hold some
twenty, most of them for problems a valid plan never has (a bad id, a control character, a
TOML error's line), and every command that loads a plan imported them all. A `LazyPattern`
compiles on the first use of any of its attributes; from then on its methods are the compiled
pattern's own, kept on the instance, so a call costs what it costs on the pattern itself.
"""

from __future__ import annotations

TYPE_CHECKING = False  # imports nothing at run time: workspace/deps uses it on the snapshot's path
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterator
    from typing import Any

# the compiled pattern's methods copied onto the instance at the first use
_METHODS = ("match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """`re.compile(source, flags)`, made at the first use of one of its attributes."""

    if TYPE_CHECKING:  # the methods the instance holds once compiled (read by mypy only)
        flags: int  # the compiled pattern's (re.UNICODE added to a str pattern's), as re's
        def match(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...
        def fullmatch(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...
        def search(self, string: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...
        def finditer(self, string: str, pos: int = ..., endpos: int = ...) -> Iterator[re.Match[str]]: ...
        def findall(self, string: str, pos: int = ..., endpos: int = ...) -> list[Any]: ...
        def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = ...) -> str: ...
        def subn(self, repl: str | Callable[[re.Match[str]], str], string: str,
                 count: int = ...) -> tuple[str, int]: ...
        def split(self, string: str, maxsplit: int = ...) -> list[str | Any]: ...

    def __init__(self, source: str, flags: int = 0) -> None:
        self.source = source
        self.given = flags  # the flags it was made with (`flags`: the compiled pattern's)

    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now when not yet); its methods are kept on self."""
        import re

        pattern = re.compile(self.source, self.given)
        for name in _METHODS:
            self.__dict__[name] = getattr(pattern, name)
        self.__dict__["compiled"] = lambda: pattern
        return pattern

    def __getattr__(self, name: str) -> Any:  # only for names not on the instance yet
        if name.startswith("__") or name in ("source", "given"):  # probes (copy, pickle), or
            raise AttributeError(name)  # an instance made without __init__: not the pattern's
        return getattr(self.compiled(), name)

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str, int]]:
        # pickled as what it was made from: once compiled, the instance holds the pattern's
        # bound methods and a closure, which pickle refuses (a compiled re.Pattern pickles)
        return (LazyPattern, (self.source, self.given))

    def __repr__(self) -> str:
        return f"LazyPattern({self.source!r}" + (f", {self.given}" if self.given else "") + ")"
