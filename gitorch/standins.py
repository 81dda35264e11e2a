"""Importing a module without the standard-library modules it imports for nothing we use.

Some modules on every hot path import others only for a rarely used function: pathlib
imports urllib.parse (with ipaddress: ~11 M instructions, ~3 ms) for `Path.as_uri`, msgspec's
uuid imports platform for one `platform.system()`, msgspec imports textwrap for schema
docstrings, subprocess imports locale (~2.4 M) for `locale.getencoding()` in text mode and
signal for `terminate()`.
`import_with` imports a module while stand-ins take those modules' places in `sys.modules`,
and removes them again, so a later `import urllib.parse` (or platform, textwrap, locale)
loads the real module. A stand-in holds the attributes given; any other attribute
is the real module's, imported when first asked for. Standard library only (the git hook
imports gitorch.repo, which uses this).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class StandIn(type(sys)):  # type: ignore[misc]  # types.ModuleType, without importing types
    """A module's stand-in: the attributes given, else the real module's (imported on use)."""

    def __init__(self, name: str, **given: Any) -> None:
        super().__init__(name)
        self.__dict__.update(given)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):  # what the import system asks (`__path__`): not a reason to load
            raise AttributeError(attribute)
        return getattr(real(self.__name__), attribute)


def real(name: str) -> Any:
    """The real module `name` (imported now if need be, its stand-in put aside first)."""
    module = sys.modules.get(name)
    if isinstance(module, StandIn):
        del sys.modules[name]  # asked while the stand-in is in place: the real one from now on
        module = None
    if module is None:
        __import__(name)
        module = sys.modules[name]
    return module


def import_with(name: str, stand_ins: dict[str, object]) -> None:
    """Import module `name` with `stand_ins` (module name -> stand-in; None: the import raises
    ImportError) in place of those not imported yet; the stand-ins are removed after."""
    placed = {module: stand_in for module, stand_in in stand_ins.items() if module not in sys.modules}
    sys.modules.update(placed)  # type: ignore[arg-type]
    try:
        __import__(name)
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module, False) is stand_in:
                del sys.modules[module]


def deferred(module: str, name: str) -> Callable[..., Any]:
    """`module.name` as a function that imports `module` when first called (a stand-in's
    attribute that the importing module takes at its import: `from module import name`)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(real(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__module__ = module
    return call


def quote_from_bytes(*args: Any, **kwargs: Any) -> str:
    """urllib.parse.quote_from_bytes, imported on first use (what pathlib's as_uri calls)."""
    return real("urllib.parse").quote_from_bytes(*args, **kwargs)  # type: ignore[no-any-return]


def import_subprocess() -> None:
    """Import subprocess (once) with a stand-in for `locale`, which it imports only to call
    `locale.getencoding()` (a text-mode pipe's default encoding): the stand-in's is the same
    function (`_locale.getencoding`, which locale itself exports), and any other attribute is
    the real module's; and one for `signal` (~0.9 ms: enums built at import), which it uses
    only to end a process (terminate, kill) and to name a signal in an error. Every git
    process starts through gitcmd, which calls this first."""
    if "subprocess" in sys.modules:
        return
    import _locale

    if hasattr(_locale, "getencoding"):  # Python 3.11+: locale.getencoding is this function
        import_with("subprocess", {"locale": StandIn("locale", getencoding=_locale.getencoding),
                                   "signal": StandIn("signal")})
