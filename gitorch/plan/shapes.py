"""Items of a block sequence that repeat a shape, read with one regular expression each.

A large plan is a long list of tasks written in a few shapes: the same keys on the same
lines at the same indentation, with other scalar values. The line reader (plan/blockyaml.py)
reads the first item of a shape itself; from that item's lines this module compiles its
shape: one regular expression matching the whole item, with a group for each scalar value
(plain, or quoted on one line without escapes), and a function building the item from the
groups. The shape is kept only when it reads that first item to exactly what the line reader
read. A later item is then one match in C and one call, instead of a Python loop over its
lines.

A shape's expression takes only what cannot change the item's structure: its keys, line
forms and indentation literally, and in a value's place only a one-line plain scalar (no
`: `, ` #`, indicator first or `:` last) or a quoted one without quotes, escapes or line
breaks inside; blank and comment lines anywhere. A plain value means what PyYAML's resolvers
make of it: the values of an item are checked against all of them at once, and resolved one
by one (yamlscalar.plain) only when one matches. Anything else the shape does not match, and
the line reader reads the item as before.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

from gitorch.plan import yamlscalar
from gitorch.plan.lazyre import LazyPattern
from gitorch.plan.yamlscalar import Unsupported

# what may follow a value on its line: spaces, then a comment after one of them (not as
# `(?: +(?:#[^\n]*+)?)?`, a general repeat to re; before it is `key:`, a quote or a bracket)
_END = r" *+(?:#(?<= #)[^\n]*+|)"
_BLANKS = r"(?:[ ]*+(?:#[^\n]*+|)\n)*+"  # blank and comment lines
# a one-line plain scalar: no indicator first (`-`, `?`, `:` only before a non-space), no
# ` #` or `: ` inside, no space or `:` last; in a shape, a plain value is all the rest of its
# line (a short expression: compiling a shape's is most of what learning it costs), and the
# plain values of an item are held to this all at once
_PLAIN = (r"(?:[^-?:,\[\]{}#&*!|>'\"%@` \n]|[-?:](?=[^ \n]))"
          r"[^ \n:]*+(?:(?: ++(?=[^#\n])|:(?=[^ \n]))[^ \n:]*+)*+")
_SINGLE = r"'([^'\n]*+)'" + _END
_DOUBLE = r'"([^"\\\n]*+)"' + _END
# a value as the first item of a shape writes it: (kind, its expression, its piece in a shape's)
_VALUES = (("plain", _PLAIN, r"([^\n]*+)"), ("quoted", _SINGLE, _SINGLE), ("quoted", _DOUBLE, _DOUBLE),
           ("list", r"\[\]" + _END, r"\[\]" + _END), ("dict", r"\{\}" + _END, r"\{\}" + _END))
_KEY = r"([A-Za-z_][A-Za-z0-9_.-]*):(?= |$)"
_BLANK = LazyPattern(r"\n *+[#\n]")  # a blank or comment line (an item's last line break before it)


def _implicit() -> tuple[LazyPattern, frozenset[str]]:
    """What may make a plain scalar other than a string to PyYAML's implicit resolvers (a
    bool, null, number, date, merge key…): a first character with numbers' resolvers (any
    with a resolver other than bool and null's words), or one of those words."""
    resolvers = yamlscalar.RESOLVERS
    words = {"tag:yaml.org,2002:bool": _BOOL, "tag:yaml.org,2002:null": _NULL}
    first = sorted(c for c, tags in resolvers.items() if c and any(tag not in words for tag in tags))
    # and what a plain scalar cannot start with (an indicator, or a space: a shape's value
    # right after its `- ` holds the spaces of `-   x`, which a YAML reader skips), or an empty value
    first += ",[]{}#&*!|>'\"%@`?: \n"
    return LazyPattern("\\n(?:[" + "".join(re.escape(c) for c in first) + "]|\\Z)"), _BOOL | _NULL


# the words PyYAML's bool and null resolvers take (tests/plan/test_shapes.py holds them to it)
_BOOL = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                   "on", "On", "ON", "off", "Off", "OFF"})
_NULL = frozenset({"~", "null", "Null", "NULL", ""})
_SUSPECT, _WORDS = _implicit()
_NOT_PLAIN = object()
_MAX_SHAPES = 16  # items learnt from in vain before learning stops (each costs a second read)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """An expression used while learning a shape, compiled when first needed."""
    return re.compile(pattern)


@functools.cache
def _next_line(indent: int) -> re.Pattern[str]:
    """The line break before a line at `indent` or less (not blank, not a comment)."""
    return re.compile(rf"\n(?= {{0,{indent}}}[^ \n#])")


def _item_end(text: str, start: int, indent: int) -> int:
    """The end of the item at `start` (its dash at column `indent`): after its last line
    break, and after the blank or comment lines that follow it."""
    found = _next_line(indent).search(text, start + indent + 1)
    return found.end() if found is not None else len(text)


def _spaced(shapes: list[_Shape], text: str, start: int, indent: int) -> tuple[re.Match[str], Any] | None:
    """The item at `start` read by a shape with blank or comment lines between its lines
    (with its match), or None."""
    if _BLANK.search(text, start, _item_end(text, start, indent)) is None:
        return None
    for shape in shapes:
        m = shape.spaced_match(text, start)
        if m is not None and (value := _build(shape, m)) is not _NOT_PLAIN:
            return m, value
    return None


def _tail(indent: int) -> str:
    """An item's last line break, the blank or comment lines after it (a shape's last group),
    and then the next line at `indent` or less (or the end)."""
    return r"\n(" + _BLANKS + rf")(?= {{0,{indent}}}[^ \n#]|\Z)"


class _Shape:
    """One shape: its expressions (without and with blank or comment lines between its
    lines), the function building an item from the groups, and the plain scalars' groups."""

    def __init__(self, source: str, indent: int, build: Any, plain: tuple[int, ...]) -> None:
        self.source = source  # the expression, `\0` where a line ends
        self.indent = indent
        self.pattern = re.compile(source.replace("\0", r"\n") + _tail(indent))
        # an item's lines but the blank ones after it (its last group): not counted in the text
        self.lines = source.count("\0") + 1
        self.blanks = self.pattern.groups
        self.build = build
        self.plain = plain
        # the plain values among an item's groups, as a tuple (picked from m.groups(), not
        # copied out of the text a second time by m.group)
        self.pick_plain: Any = (operator.itemgetter(*(k - 1 for k in plain)) if len(plain) > 1
                                else (lambda g, k=plain[0] - 1: (g[k],)) if plain else None)
        self.spaced: re.Pattern[str] | None = None  # made for the first item with blank lines inside
        self.used = 0  # items it read

    def spaced_match(self, text: str, start: int) -> re.Match[str] | None:
        """The item at `start` when it has blank or comment lines between its lines."""
        if self.spaced is None:
            self.spaced = re.compile(self.source.replace("\0", r"\n" + _BLANKS) + _tail(self.indent))
        return self.spaced.match(text, start)


class Shapes:
    """The shapes seen in one document (`text`, split into `lines`)."""

    def __init__(self, text: str, lines: list[str]) -> None:
        self.text = text if text.endswith("\n") else text + "\n"
        self.lines = lines
        self.known_start = (0, 0)  # a line and its offset
        self.known: dict[int, list[_Shape]] = {}  # indentation of the dashes -> shapes
        self.tries = 0  # items whose shape was learnt (or tried), less the items known shapes read
        self.read_items = 0  # items read by shapes
        self.skipped = False  # the lines shapes read are left unsplit (plan/lazylines.py)

    def start(self, i: int) -> int:
        """The offset of line i (counted on from the last line whose offset is known: the
        lines a shape read are not counted again)."""
        line, offset = self.known_start
        if i < line:
            if self.skipped:  # not counted over lines left unsplit (the reader goes on, never back)
                raise Unsupported("a line before the last one shapes read")
            line, offset = 0, 0
        offset += sum(map(len, self.lines[line:i])) + i - line
        self.known_start = (i, offset)
        return offset

    def span(self, i: int, indent: int) -> tuple[int, int, int]:
        """(start offset, end offset, next line) of the sequence item at line i (its dash at
        column `indent`)."""
        start = self.start(i)
        end = _item_end(self.text, start, indent)
        return start, end, i + self.text.count("\n", start, end)

    def read(self, i: int, indent: int, items: list[Any]) -> int:
        """Read the items of a sequence from line i on (their dashes at column `indent`) while
        known shapes match them, appending them to `items`. -> the next line to read (i when
        none matched). Shapes are tried most used first (one place up when an item read makes
        a shape used more than the one before it: a shape every tenth item has does not go
        first and back each time, costing the other items a failed match each)."""
        shapes = self.known.get(indent)
        if not shapes:
            return i
        text = self.text
        pos = self.start(i)
        append = items.append
        before = len(items)
        after = i  # the line after the items read
        while True:
            for k, shape in enumerate(shapes):
                m = shape.pattern.match(text, pos)
                if m is not None:
                    value = _build(shape, m)
                    if value is not _NOT_PLAIN:
                        shape.used += 1
                        if k and shape.used > shapes[k - 1].used:
                            shapes[k - 1], shapes[k] = shape, shapes[k - 1]
                        after += shape.lines
                        if m.end(shape.blanks) != m.start(shape.blanks):
                            after += text.count("\n", m.start(shape.blanks), m.end())
                        break
            else:
                got = _spaced(shapes, text, pos, indent)
                if got is None:
                    break
                m, value = got
                after += text.count("\n", pos, m.end())
            append(value)
            pos = m.end()
        self.read_items += len(items) - before
        self.tries -= len(items) - before
        self.known_start = (after, pos)
        return after

    def learning(self) -> bool:
        """Whether an item no shape matched should teach its shape."""
        return self.tries < _MAX_SHAPES

    def learn(self, i: int, indent: int, value: Any) -> None:
        """Keep the shape of the item at line i when it reads that item to `value` (what the
        line reader read)."""
        self.tries += 1
        start, _, after = self.span(i, indent)
        compiled = _Compiler(self.lines[i:after], indent).shape()
        if compiled is None:
            return
        m = compiled.pattern.match(self.text, start) or compiled.spaced_match(self.text, start)
        try:
            if m is None or not same(_build(compiled, m), value):
                return
        except Unsupported:
            return
        self.known.setdefault(indent, []).append(compiled)


def _build(shape: _Shape, m: re.Match[str]) -> Any:
    """The item `m` matched, or _NOT_PLAIN when the rest of a line in a plain value's place
    is not a plain scalar alone (a comment after it, `: ` inside, …)."""
    groups: Any = m.groups()
    if shape.plain:
        plain = shape.pick_plain(groups)
        joined = "\n" + "\n".join(plain)
        # (`:` and `#` alone first: one character is found at memchr's speed, pairs slower)
        if (":" in joined and (": " in joined or ":\n" in joined)) or ("#" in joined and " #" in joined) or (
                " \n" in joined or joined[-1] in " :"):
            return _NOT_PLAIN
        if _SUSPECT.search(joined) is not None or not _WORDS.isdisjoint(plain):
            # a value starting with an indicator, or one a resolver may take: each on its own
            if not all(map(_compiled(_PLAIN).fullmatch, plain)):
                return _NOT_PLAIN
            groups = list(groups)
            for k in shape.plain:
                groups[k - 1] = yamlscalar.plain(groups[k - 1])
    return shape.build(groups)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1, 1.0 and True differ; NaN is never
    the same, so a shape never stands for it)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(map(type, a)) == list(map(type, b)) and list(a) == list(b) and all(
            same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    return bool(a == b)


class _Token:
    """A line's dash or its text, for learning a shape (not a NamedTuple: ~0.3 ms to define)."""

    __slots__ = ("column", "text", "dash", "lead")

    def __init__(self, column: int, text: str, dash: bool, lead: str) -> None:
        self.column = column
        self.text = text  # after the dash, or the whole line without its indentation
        self.dash = dash  # a `- ` (text is empty; what follows it is the next token, on the same line)
        self.lead = lead  # the expression of what precedes it on its line


class _Compiler:
    """An item's lines -> its shape (None for any line form a shape does not take)."""

    def __init__(self, lines: list[str], indent: int) -> None:
        self.indent = indent
        self.tokens: list[_Token] = []
        self.at = 0
        self.groups: list[str] = []  # per group: "plain" or "quoted"
        self.pieces: list[str] = []
        self.keys: list[Any] = []
        self.ok = self._tokens(lines)

    def _tokens(self, lines: list[str]) -> bool:
        first = True
        for line in lines:
            s = line.lstrip(" ")
            if not s or s[0] == "#":
                continue
            column = len(line) - len(s)
            lead = ("" if first else "\0") + " " * column
            first = False
            while s[:2] == "- ":
                rest = s[2:].lstrip(" ")
                self.tokens.append(_Token(column, "", True, lead + "-" + " " * (len(s) - len(rest) - 1)))
                column += len(s) - len(rest)
                s, lead = rest, ""
            if not s or s == "-":
                return False  # a dash alone: its item on the lines below
            self.tokens.append(_Token(column, s, False, lead))
        return True

    def shape(self) -> _Shape | None:
        if not self.ok or not self.tokens or not self.tokens[0].dash:
            return None
        code = self._item()
        if code is None or self.at != len(self.tokens):
            return None
        plain = tuple(k + 1 for k, kind in enumerate(self.groups) if kind == "plain")
        try:
            build = eval(f"lambda g: {code}", {"K": tuple(self.keys)})  # noqa: S307 - code made here
            return _Shape("".join(self.pieces), self.indent, build, plain)
        except (re.error, SyntaxError, RecursionError, MemoryError):
            return None

    def _node(self, token: _Token) -> str | None:
        return self._sequence(token.column) if token.dash else self._mapping(token.column)

    def _next(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _sequence(self, column: int) -> str | None:
        items: list[str] = []
        token = self._next()
        while token is not None and token.dash and token.column == column:
            code = self._item()
            if code is None:
                return None
            items.append(code)
            token = self._next()
        return "[" + ", ".join(items) + "]"

    def _item(self) -> str | None:
        """The sequence item whose dash is the next token."""
        self.pieces.append(self.tokens[self.at].lead)
        self.at += 1
        inner = self._next()
        if inner is None:
            return None
        if inner.dash or _compiled(_KEY).match(inner.text):
            return self._node(inner)
        self.at += 1
        self.pieces.append(inner.lead)
        return self._value(inner.text)

    def _mapping(self, column: int) -> str | None:
        entries: list[str] = []
        seen: list[Any] = []
        token = self._next()
        while token is not None and not token.dash and token.column == column:
            m = _compiled(_KEY).match(token.text)
            if m is None:
                return None
            self.at += 1
            key = yamlscalar.plain(m.group(1))
            if key in seen:
                return None  # a key given twice: the line reader reports it
            seen.append(key)
            rest = token.text[m.end():]
            if _compiled(_END).fullmatch(rest):
                self.pieces.append(token.lead + re.escape(m.group(0)) + _END)
                code = self._below(column)
            else:
                self.pieces.append(token.lead + re.escape(m.group(0)) + " ++")
                code = self._value(rest.lstrip(" "))
            if code is None:
                return None
            entries.append(f"{self._key(key)}: {code}")
            token = self._next()
        return "{" + ", ".join(entries) + "}"

    def _below(self, column: int) -> str | None:
        """The value of `key:` at `column` with nothing after it: the node on the lines
        below (more indented, or a sequence at the key's column), else null."""
        token = self._next()
        if token is None or token.column < column or (token.column == column and not token.dash):
            return "None"
        return self._node(token)

    def _value(self, text: str) -> str | None:
        for kind, pattern, piece in _VALUES:
            if _compiled(pattern).fullmatch(text) is None:
                continue
            self.pieces.append(piece)
            if kind == "list":
                return "[]"
            if kind == "dict":
                return "{}"
            self.groups.append(kind)
            return f"g[{len(self.groups) - 1}]"
        return None

    def _key(self, key: Any) -> str:
        if type(key) is str:
            return repr(key)
        self.keys.append(key)
        return f"K[{len(self.keys) - 1}]"
