"""JSON for the hook process without `import json` (which imports re, and re imports enum:
about 15 ms of the hooks' 40 ms budget on a slow machine, docs/hooks.md).

It drives the C scanner and string encoder that `json` itself uses (CPython's `_json`),
and falls back to `json` where they are missing (another Python). A test holds both
functions equal to `json`'s. The engine writes its canonical JSON (the inputs digests'
text, the hook's watch index) here too: importing json compiles its regexes (~4 M
instructions), which a first run paid before its first command. No `from __future__ import
annotations` (an import the hook would pay for): annotations naming what only mypy imports
are quoted.
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
# (sort_keys, ensure_ascii) -> what json.dumps(value, separators=(",", ":"), ...) drives in C
_encoders: "dict[tuple[bool, bool], Callable[[Any, int], Any]]" = {}
quote: "Callable[[str], str]"  # how json.dumps quotes a string when ensure_ascii=False
try:
    from _json import encode_basestring as quote
    from _json import encode_basestring_ascii as _quote_ascii
    from _json import make_encoder as _make_encoder
    from _json import make_scanner as _make_scanner

    _scan = _make_scanner(_Context())  # type: ignore[arg-type]  # duck-typed like JSONDecoder
    for _sort in (False, True):  # markers None: no cycle check; allow_nan as json's default
        _encoders[_sort, False] = _make_encoder(None, _unwritable, quote, None, ":", ",", _sort, False, True)
        _encoders[_sort, True] = _make_encoder(None, _unwritable, _quote_ascii, None, ":", ",", _sort,
                                               False, True)
except (ImportError, AttributeError, TypeError):  # pragma: no cover - not CPython
    _scan = None
    _encoders.clear()

    def quote(text: str) -> str:
        import json

        return json.encoder.encode_basestring(text)  # type: ignore[attr-defined,no-any-return]


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


def dumps(value: "Any", sort_keys: bool = False, ensure_ascii: bool = False) -> str:
    """`json.dumps(value, separators=(",", ":"), sort_keys=..., ensure_ascii=...)` of strings,
    bools, numbers, None, and lists and dicts of them: what an event line holds."""
    encode = _encoders.get((sort_keys, ensure_ascii))
    if encode is None:  # pragma: no cover
        import json

        return json.dumps(value, ensure_ascii=ensure_ascii, separators=(",", ":"), sort_keys=sort_keys)
    return "".join(encode(value, 0))
