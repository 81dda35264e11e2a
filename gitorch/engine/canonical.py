"""Canonical JSON for digests without importing json (engine/inputs).

`canonical_json(value)` is `json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`: the C encoder json.dumps itself drives (CPython's `_json`), with the
same settings, so the very text. Importing json compiles its regexes (json.decoder,
json.encoder: ~4 M instructions), which a first run of a plan paid serially before its first
command for the digests alone; `_json` loads without them. Another Python: json itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["canonical_json", "quoter"]

_encode: Callable[[Any, Any], Any] | None = None
_quote: Callable[[str], str] | None = None


def _unwritable(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")  # json's words


def _load() -> None:
    global _encode, _quote
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - not CPython
        import json

        _quote = json.encoder.encode_basestring
        _encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).iterencode
        return
    # json.dumps's own call (JSONEncoder.iterencode, one shot, no indent): markers None (no
    # cycle check, as check_circular=False), default, quote, indent, separators, sort_keys,
    # skipkeys, allow_nan
    _encode = make_encoder(None, _unwritable, encode_basestring, None, ":", ",", True, False, True)
    _quote = encode_basestring


def quoter() -> Callable[[str], str]:
    """What json.dumps quotes strings with when ensure_ascii=False."""
    if _quote is None:
        _load()
    assert _quote is not None
    return _quote


def canonical_json(value: Any) -> str:
    """json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)."""
    if _encode is None:
        _load()
    assert _encode is not None
    return "".join(_encode(value, 0))
