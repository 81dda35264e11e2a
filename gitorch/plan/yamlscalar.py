"""YAML scalars as PyYAML's safe loader reads them, for the line reader (plan/blockyaml.py):
plain scalars resolved with PyYAML's own implicit resolvers (YAML 1.1: `yes`, `on`, `~`,
`1_000`, `1:30`, `.inf`, dates…) and built by its own safe constructors; quoted scalars on
one line; `|` and `>` block scalars (without `+` or an indentation indicator)."""

from __future__ import annotations

import re
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from gitorch.plan.fastyaml import SCALARS, Unsupported

_RESOLVERS: dict[Any, list[tuple[str, re.Pattern[str]]]] = Resolver.yaml_implicit_resolvers
# Resolver.resolve's candidates for a plain scalar: those for its first character, then
# those for any first character
_WILD = tuple(_RESOLVERS.get(None, []))
_BY_FIRST = {first: (*found, *_WILD) for first, found in _RESOLVERS.items() if first is not None}
_CONSTRUCTOR = SafeConstructor()
_BLOCK = re.compile(r"([|>])(-?)(?: +#.*| *)")


def plain(text: str) -> Any:
    """A plain scalar's value, as PyYAML's Resolver.resolve and SafeConstructor give it;
    Unsupported for a merge key (`<<`), `=`, or a value the constructors refuse."""
    for tag, regexp in _BY_FIRST.get(text[0], _WILD):
        if regexp.match(text):
            make = SCALARS.get(tag)  # never str: no implicit resolver gives it
            if make is None:  # merge keys (`<<`), `=`
                raise Unsupported(tag)
            try:
                return make(_CONSTRUCTOR, ScalarNode(tag, text))
            except Exception as exc:  # noqa: BLE001 - e.g. an integer of 5,000 digits
                raise Unsupported(type(exc).__name__) from exc
    return text


def quoted(quote: str, inner: str, whole: str) -> str:
    """A one-line quoted scalar: `inner` (between the quotes of `whole`) with its escapes."""
    if quote == "'":
        return inner.replace("''", "'")
    if "\\" not in inner:
        return inner
    from gitorch.plan import fastyaml  # escapes: libyaml decodes the scalar alone

    value = fastyaml.load(whole, [])
    if not isinstance(value, str):
        raise Unsupported("escape")
    return value


def block(lines: list[str], broken: bool, i: int, header: str, owner: int) -> tuple[str, int]:
    """A `|` or `>` block scalar whose header is on line i of `lines` (the last one ends
    with a line break when `broken`); its lines are those below indented more than `owner`
    (the column of its mapping or sequence). -> (its text, the next line to read)."""
    m = _BLOCK.fullmatch(header)
    if m is None:
        raise Unsupported("block scalar header")  # `+`, an indentation indicator, an error
    n = len(lines)
    k = i + 1
    indent = -1
    body: list[str] = []
    while k < n:
        line = lines[k]
        s = line.lstrip(" ")
        if not s:
            if indent < 0 and line:
                raise Unsupported("spaces before a block scalar's first line")
            if indent >= 0 and len(line) > indent:
                raise Unsupported("spaces beyond a block scalar's indentation")
            body.append("")
            k += 1
            continue
        ind = len(line) - len(s)
        if indent < 0:
            if ind <= owner:
                break
            indent = ind
        elif ind < indent:
            break
        body.append(line[indent:])
        k += 1
    last = len(body)
    while last and not body[last - 1]:
        last -= 1
    if not last:
        return "", k
    content = body[:last]
    text = "\n".join(content) if m.group(1) == "|" else _fold(content)
    if not m.group(2) and (i + last < n - 1 or broken):
        text += "\n"  # clip: the last line's break
    return text, k


def _fold(lines: list[str]) -> str:
    """A folded scalar's lines (none more indented) joined: a break between two lines
    becomes a space, and the breaks of empty lines between them stay."""
    out: list[str] = []
    empty = 0
    for n, line in enumerate(lines):
        if not line:
            empty += 1
            continue
        if line[0] == " ":
            raise Unsupported("a more indented line in a folded scalar")
        if n and not empty and out:
            out.append(" ")
        elif empty:
            out.append("\n" * empty)
        out.append(line)
        empty = 0
    return "".join(out)
