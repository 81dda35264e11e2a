"""YAML scalars as PyYAML's safe loader reads them, for the line reader (plan/blockyaml.py):
plain scalars resolved with PyYAML's own implicit resolvers (YAML 1.1: `yes`, `on`, `~`,
`1_000`, `1:30`, `.inf`, dates…) and built by its own safe constructors; quoted scalars on
one line; `|` and `>` block scalars (without `+` or an indentation indicator)."""

from __future__ import annotations

import functools
import re
from typing import Any

from gitorch.plan.lazyre import LazyPattern


class Unsupported(Exception):
    """The document uses something the fast readers leave to the full loader."""


# tab, CR (after CRLF became LF), NEL/LS/PS (line breaks to YAML 1.1), BOM, and what YAML
# does not allow in a stream (C0/C1 controls, DEL, surrogates, U+FFFE/U+FFFF)
_REFUSED = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
# the ASCII ones: C0 controls but the line feed, and DEL
REFUSED_ASCII = tuple(chr(c) for c in range(0x20) if c != 0x0A) + ("\x7f",)


def allowed(text: str) -> None:
    """Unsupported when `text` holds a character the line reader leaves to libyaml (above)."""
    # ASCII: each refused character looked for at memchr's speed (a third of the cost of
    # bytes.translate's table lookup a byte)
    if any(c in text for c in REFUSED_ASCII) if text.isascii() else _refused().search(text) is not None:
        raise Unsupported("characters left to libyaml")


@functools.cache
def _refused() -> re.Pattern[str]:
    """_REFUSED compiled (for text that is not ASCII only: compiling its classes costs some
    milliseconds, a good part of reading a large plan)."""
    return re.compile(_REFUSED)


# PyYAML's implicit resolvers (yaml/resolver.py): the expressions, and which are tried, in
# which order, for a plain scalar's first character. Kept here so that a plan read by the
# line reader does not import PyYAML (its import, compiling these among much else, costs more
# than reading a 10,000-task plan by shapes); tests/plan/test_yamlscalar.py holds this table
# to PyYAML's own, so a plain scalar resolves here exactly as there.
_TAG = "tag:yaml.org,2002:"
_EXPRESSIONS = {
    "bool": (r"""^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$""", re.X),
    "null": (r"""^(?: ~
                    |null|Null|NULL
                    | )$""", re.X),
    "float": (r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""", re.X),
    "int": (r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""", re.X),
    "timestamp": (r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""", re.X),
    "merge": (r"^(?:<<)$", 0),
    "value": (r"^(?:=)$", 0),
    "yaml": (r"^(?:!|&|\*)$", 0),
}
_TRIED = [("yYtTfFoO", ("bool",)), ("nN", ("bool", "null")), ("-+", ("float", "int")),
          ("0123456789", ("float", "int", "timestamp")), (".", ("float",)), ("<", ("merge",)),
          ("~", ("null",)), ("", ("null",)), ("=", ("value",)), ("!&*", ("yaml",))]
# first character -> the tags of the resolvers tried, in order
RESOLVERS: dict[str, tuple[str, ...]] = {first: tuple(_TAG + name for name in names)
                                         for firsts, names in _TRIED for first in firsts or [""]}
_WORDS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_DECIMAL = LazyPattern(r"[-+]?(?:0|[1-9][0-9]*)")  # an int as Python's int() reads it too


def plain(text: str) -> Any:
    """A plain scalar's value, as PyYAML's Resolver.resolve and SafeConstructor give it;
    Unsupported for a merge key (`<<`), `=`, or a value the constructors refuse."""
    for tag in RESOLVERS.get(text[0], ()):
        if _expression(tag).match(text):
            return _construct(tag, text)
    return text


@functools.cache
def _expression(tag: str) -> re.Pattern[str]:
    """A resolver's expression, compiled when first needed (a plan's keys and most of its
    values start with a letter no resolver but bool's and null's is tried for)."""
    return re.compile(*_EXPRESSIONS[tag.removeprefix(_TAG)])


def _construct(tag: str, text: str) -> Any:
    """SafeConstructor's value for `text` resolved to `tag`: bools, nulls and plain decimal
    ints here (as its construct_yaml_bool/null/int give them), the rest by PyYAML itself."""
    if tag == "tag:yaml.org,2002:bool":
        return _WORDS[text.lower()]
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:int" and len(text) < 100 and _DECIMAL.fullmatch(text):
        return int(text)  # (longer: PyYAML's int() may refuse it, as it does)
    from yaml.nodes import ScalarNode

    if tag not in _BUILT:  # merge keys (`<<`), `=`
        raise Unsupported(tag)
    constructor = _constructor()
    try:
        return constructor.yaml_constructors[tag](constructor, ScalarNode(tag, text))
    except Exception as exc:  # noqa: BLE001 - e.g. an integer of 5,000 digits
        raise Unsupported(type(exc).__name__) from exc


# the scalar tags an implicit resolver gives that a plan may hold (never str: none gives it)
_BUILT = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null", "timestamp"))


@functools.cache
def _constructor() -> Any:
    from yaml.constructor import SafeConstructor

    return SafeConstructor()


_BLOCK = LazyPattern(r"([|>])(-?)(?: +#.*| *)")


def quoted(quote: str, inner: str, whole: str) -> str:
    """A one-line quoted scalar: `inner` (between the quotes of `whole`) with its escapes."""
    if quote == "'":
        return inner.replace("''", "'")
    if "\\" not in inner:
        return inner
    import yaml  # escapes: libyaml decodes the scalar alone

    value = yaml.load(whole, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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
