"""JSON for the hook process without `import json` (which imports re, and re imports enum:
about 15 ms of the hooks' 40 ms budget on a slow machine, docs/hooks.md).

It drives the C scanner and string encoder that `json` itself uses (CPython's `_json`),
and falls back to `json` where they are missing (another Python). A test holds both
functions equal to `json`'s. No `from __future__ import annotations` (an import the hook
would pay for): annotations naming what only mypy imports are quoted.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _constant(name: str) -> float:
    return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[name]


class _Context:
    """What `_json.make_scanner` reads from `json.JSONDecoder`: the same defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_constant)


def _unwritable(value: object) -> "Any":
    raise TypeError(f"cannot write {type(value).__name__} as JSON here")


_scan: "Callable[[str, int], tuple[Any, int]] | None"
_encode: "Callable[[Any, int], Any] | None"
try:
    from _json import encode_basestring as _quote
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner

    _scan = _make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed like JSONDecoder
    # what json.dumps(value, ensure_ascii=False, separators=(",", ":")) drives in C
    _encode = _make_encoder(None, _unwritable, _quote, None, ":", ",", False, False, True)
except (ImportError, AttributeError, TypeError):  # pragma: no cover - not CPython
    _scan = _encode = None


def loads(text: str) -> "Any":
    """`json.loads(text)`; ValueError on invalid JSON."""
    if _scan is None:  # pragma: no cover
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _scan(text, start)
        if not text[end:].strip(" \t\n\r"):
            return value
    except (StopIteration, ValueError, SystemError):
        # The scanner reports errors with json.decoder's exception, only when json is
        # already imported (else a SystemError): let json itself say what is wrong.
        pass
    import json

    return json.loads(text)


def dumps(value: "Any") -> str:
    """Compact JSON (`separators=(",", ":")`, `ensure_ascii=False`) of strings, bools,
    numbers, None, and lists and dicts of them: what an event line holds."""
    if _encode is None:  # pragma: no cover
        import json

        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(_encode(value, 0))
