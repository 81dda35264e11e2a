"""One-line flow collections of words, read without PyYAML (plan/blockyaml.py's `[a, b]`).

Plans write short lists and mappings on one line: `dependencies: [a, b]`, `paths: [src/]`,
`retry: {attempts: 3, backoff: 10s}`, `acceptance: ["Contains: x"]`. The event loader reads
any flow collection, but importing PyYAML costs ~80 M instructions (a third of validating a
small plan). The collections made only of plain words and of quoted scalars as simple as their
text are read here, each word as the plain scalar it is alone (PyYAML's resolvers); anything
else (nesting, `?`, `:` or `#` in a word, escapes, a key twice, a key PyYAML reads as other than
a string) is left to the event loader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitorch.plan import yamlscalar
from gitorch.plan.lazyre import LazyPattern

# a plain word: ASCII letters, digits and `_./+=-` (not `-` first), one space between words,
# spaces around; PyYAML reads it as the plain scalar it is alone (no indicator, no `: `, ` #`,
# quote, bracket or comma in it)
_WORDS = LazyPattern(r" *[A-Za-z0-9_./][A-Za-z0-9_./+=-]*(?: [A-Za-z0-9_./+=-]+)* *")
# a quoted scalar as simple as its text: no quote or backslash inside
_QUOTED = LazyPattern(r""" *(?:"([^"\\]*)"|'([^']*)') *""")
_KEY = LazyPattern(r" *[A-Za-z_][A-Za-z0-9_]*")  # a mapping's key (before its `:`)
# libyaml and PyYAML refuse a flow mapping's key over 1024 characters (a simple key's limit):
# a longer one is left to the event loader, which refuses it too (with a margin, as blockyaml)
_MAX_KEY = 1000
_NONE = object()


def read(body: str, plain: Callable[[str, dict[str, Any]], Any],
         known: dict[str, Any]) -> list[Any] | dict[str, Any] | None:
    """The flow collection `body` (a comment after it allowed) when it holds only words and
    simple quoted scalars; None for anything else. `plain(text, known)`: a word's value."""
    if "#" in body:
        head = body.partition(" #")[0]
        if "'" in head or '"' in head:  # the ` #` may be inside quotes
            return None
        body = head.rstrip(" ")
    if len(body) < 2 or (body[0], body[-1]) not in (("[", "]"), ("{", "}")):
        return None
    parts = body[1:-1].split(",")
    if body[0] == "[":
        items = [_scalar(part, plain, known) for part in parts]
        return None if any(item is _NONE for item in items) else items
    mapping: dict[str, Any] = {}
    for part in parts:
        key, _, text = part.partition(":")
        if len(key) > _MAX_KEY or _KEY.fullmatch(key) is None or text[:1] != " ":
            return None
        name = yamlscalar.plain(key.lstrip(" "))
        value = _scalar(text, plain, known)
        if type(name) is not str or name in mapping or value is _NONE:
            return None  # a key PyYAML reads otherwise (`on`, `y`), or twice: the event loader
        mapping[name] = value
    return mapping


def _scalar(part: str, plain: Callable[[str, dict[str, Any]], Any], known: dict[str, Any]) -> Any:
    """An item: a word's value or a quoted scalar's text (_NONE for anything else)."""
    if _WORDS.fullmatch(part) is not None:
        return plain(part.strip(" "), known)
    quoted = _QUOTED.fullmatch(part)
    if quoted is None:
        return _NONE
    return quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
