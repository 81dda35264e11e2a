"""Block-style YAML read line by line: the plans people write, without libyaml's events.

Plans are block mappings and sequences of plain or quoted one-line scalars, with block
scalars (`|`, `>`) for longer text. Reading those lines directly (indentation -> nesting)
costs a fraction of walking libyaml's event stream, where every scalar becomes a Python
event object with two marks. Scalars mean what they mean to PyYAML's safe loader
(plan/yamlscalar.py: PyYAML's implicit resolvers, its safe constructors), and PyYAML is not
imported unless a scalar needs its constructors. Items of a sequence that repeat the shape
of an item before them (a large plan's tasks) are read whole, one regular expression each
(plan/shapes.py).

Anything else raises `Unsupported` and the caller reads the text with the event loader
(plan/fastyaml.py) or the full loader: anchors, aliases, tags, directives, several
documents, complex keys, tabs, CR or other line breaks, characters YAML does not allow,
multi-line plain or quoted scalars, block scalars with an indentation indicator or `+`,
flow collections over several lines, and every syntax error (the full loader reports it
with its line and column). One-line flow collections (`[a, b]`, `{x: 1}`) are read by the
event loader on that line alone.
"""

from __future__ import annotations

from typing import Any

from gitorch.plan import flowline, yamlscalar
from gitorch.plan.lazylines import Lines
from gitorch.plan.lazyre import LazyPattern
from gitorch.plan.shapes import Shapes
from gitorch.plan.yamlscalar import Unsupported

# a plain scalar cannot start with these (`-`, `?`, `:` only when followed by a space or the end)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SINGLE = LazyPattern(r"'((?:[^']|'')*)'")
_DOUBLE = LazyPattern(r'"((?:[^"\\]|\\.)*)"')
_MISSING = object()
_NOT_FIRST = _INDICATORS | {" "}
_MAX_KEY = 1000  # libyaml refuses implicit keys over 1024 characters: left to it with a margin


# An open block collection: (the column of its keys or dashes, its dict or list, is a
# mapping). A plain tuple: a 10,000-task plan opens some 75,000 of them.
_Frame = tuple[int, Any, bool]


def load(text: str, duplicates: list[tuple[int, int, str]]) -> Any:
    """The document in `text` as PyYAML's safe loader builds it; keys repeated in one mapping
    are appended to `duplicates` as (line, column, key). Unsupported for anything else."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    yamlscalar.allowed(text)
    broken = text.endswith("\n")  # the last line ends with a line break
    source = Lines(text[:-1] if broken else text)  # split as the reader gets there
    return _Reader(source.lines, broken, duplicates, Shapes(text, source.lines), source).read()


class _Reader:
    def __init__(self, lines: list[str], broken: bool, duplicates: list[tuple[int, int, str]],
                 shapes: Shapes | None = None, source: Lines | None = None) -> None:
        self.lines = lines  # source.lines when there is a source (split as far as read)
        self.source = source
        self.shapes = shapes  # the shapes of the sequence items read so far (plan/shapes.py)
        self.broken = broken
        self.duplicates = duplicates
        self.stack: list[_Frame] = []
        self.root: Any = None
        # after `key:` or `-` with nothing after it: (frame, key or index, column of the key
        # or dash); the next line may hold its value (more indented, or a `-` under a key)
        self.pending: tuple[_Frame, Any, int] | None = None
        # what follows `key: ` or `- ` -> its value, and plain keys -> theirs (plans repeat
        # them a lot): a text found here was read whole in that place before
        self.keys: dict[str, Any] = {}
        self.values: dict[str, Any] = {}

    # The common lines, `key: value`, `key:`, `- value` and `- key: value` in the open
    # collection, are read in the loop below: a text found in `keys` or `values` was read
    # whole in that place before (so no comment, no trailing space, no `: `, no indicator
    # first). Everything else goes through _place, _entry and _item.
    def read(self) -> Any:
        lines, stack, keys, values = self.lines, self.stack, self.keys, self.values
        i, split = self._start(), len(lines)  # the next line, and how many are split
        indent, is_map = -1, False  # the innermost open collection
        items: Any = None
        pending, missing = None, _MISSING  # pending: self.pending, kept here while the loop runs
        while True:
            if i >= split:
                split = self._split(i)
                if i >= split:
                    break  # past the last line
            line = lines[i]
            s = line.lstrip(" ")
            if not s or s[0] == "#":
                i += 1
                continue
            ind = len(line) - len(s)
            if ind != indent or pending is not None or (not is_map and s[0] != "-"):
                indent, items, is_map = self._place(ind, s, pending)
                pending = None
            # the common lines (`key: value`, `key:`, `- value`, `- key: value`): see above
            if is_map:
                p = s.find(": ")
                if p > 0:
                    key = keys.get(s[:p], missing)
                    rest = s[p + 2:]
                    value = values.get(rest, missing)
                    if value is missing and key is not missing:
                        value = self._fresh(rest)
                    if key is not missing and value is not missing and key not in items:
                        items[key] = value
                        i += 1
                        continue
                elif s[-1] == ":" and s[:-1] in keys and keys[s[:-1]] not in items:
                    items[keys[s[:-1]]] = None
                    pending = (stack[-1], keys[s[:-1]], ind)
                    i += 1
                    continue
            elif s[1:2] == " ":
                rest = s[2:]
                value = values.get(rest, missing)
                if value is missing:
                    value = self._fresh(rest)
                if value is not missing:
                    items.append(value)
                    i += 1
                    continue
                after = self._shaped(i, ind, rest, items)
                if after:
                    i = after
                    continue
                opened = self._compact(ind, rest, items)
                if opened is not None:
                    indent, items, is_map = opened
                    i += 1
                    continue
            i = self._entry(i, ind, s, stack[-1]) if is_map else self._item(i, ind, s, stack[-1])
            pending, self.pending = self.pending, None
            indent, items, is_map = stack[-1]
        return self.root

    def _shaped(self, i: int, ind: int, rest: str, items: list[Any]) -> int:
        """The item `- key: …` (`rest` after the dash) at line i of the sequence `items`, read
        whole: by a shape an item before it had (and the items after it too, while shapes
        match), or alone, teaching its shape. -> the next line; 0 when the loop reads it (not
        a mapping, no shapes in this reader, or none fits and learning has stopped)."""
        if self.shapes is None or not (rest.find(": ") > 0 or rest[-1:] == ":"):
            return 0
        after = self.shapes.read(i, ind, items)
        if after > i:
            if self.source is not None:
                self.source.skip_to(after, self.shapes.known_start[1])
                self.shapes.skipped = self.source.skipped
            return after
        if not self.shapes.learning():
            return 0
        after = self.shapes.span(i, ind)[2]
        self._split(after - 1)
        found: list[tuple[int, int, str]] = []
        alone = _Reader(self.lines[i:after], self._split(after) > after or self.broken, found)
        alone.keys, alone.values = self.keys, self.values
        value = alone.read()
        if not isinstance(value, list) or len(value) != 1:
            return 0  # not an item alone after all: the loop reads it
        if found:
            self.duplicates += [(line + i, column, key) for line, column, key in found]
        else:
            self.shapes.learn(i, ind, value[0])
        items.append(value[0])
        return after

    def _compact(self, ind: int, rest: str, items: list[Any]) -> _Frame | None:
        """`- key: value` (`rest` after the dash) with a known key and a plain value: the
        mapping it opens in the list `items`; None when the line needs a closer look."""
        p = rest.find(": ")
        key = self.keys.get(rest[:p], _MISSING) if p > 0 else _MISSING
        if key is _MISSING:
            return None
        value = self.values.get(rest[p + 2:], _MISSING)
        if value is _MISSING:
            value = self._fresh(rest[p + 2:])
            if value is _MISSING:
                return None
        top = (ind + 2, {key: value}, True)
        items.append(top[1])
        self.stack.append(top)
        return top

    def _fresh(self, text: str) -> Any:
        """The value of `text` (all that follows `: ` or `- `) when it is a plain scalar alone
        or an empty flow collection; _MISSING for anything else."""
        if text and text[0] not in _NOT_FIRST and text[-1] not in " :" and " #" not in text and (
                ": " not in text):
            return self._plain(text, self.values)
        if text == "[]":
            return []
        if text == "{}":
            return {}
        return _MISSING

    def _place(self, ind: int, s: str, pending: tuple[_Frame, Any, int] | None) -> _Frame:
        """The collection a line belongs to: one the line before opened with `key:` or `-`
        (`pending`), an open one (closing those it is left of), or the root."""
        stack = self.stack
        if pending is not None:
            frame, key, at = pending
            dash = _dash(s)
            if ind > at or (ind == at and frame[2] and dash):
                new: _Frame = (ind, [] if dash else {}, not dash)
                frame[1][key] = new[1]
                stack.append(new)
                return new
        while stack:
            top = stack[-1]
            if ind < top[0] or (ind == top[0] and not top[2] and not _dash(s)):
                stack.pop()
                continue
            if top[0] != ind:
                raise Unsupported("indentation")  # a continued scalar, or an error
            return top
        if self.root is not None:
            raise Unsupported("more than one node at the top")
        if s.startswith(("---", "...", "%")):
            raise Unsupported("document marker or directive")
        dash = _dash(s)
        top = (ind, [] if dash else {}, not dash)
        self.root = top[1]
        stack.append(top)
        return top

    def _split(self, j: int) -> int:
        """Split the lines up to line j. -> how many are split."""
        return self.source.through(j) if self.source is not None else len(self.lines)

    def _start(self) -> int:
        """The first line to read: past a `---` (alone, or before a comment) that starts
        the document; any other marker or directive is left to libyaml."""
        for i, line in enumerate(self.lines):
            if line.strip(" ")[:1] in ("", "#"):
                continue
            if not line.startswith("---"):
                return 0
            rest = line[3:]
            if rest and (rest[0] != " " or rest.strip(" ")[:1] not in ("", "#")):
                raise Unsupported("document marker")
            return i + 1
        return 0

    def _item(self, i: int, ind: int, s: str, frame: _Frame) -> int:
        """A `- …` line of the sequence `frame`."""
        if s[0] != "-" or (len(s) > 1 and s[1] != " "):
            raise Unsupported("not a sequence item")
        rest = s[2:]
        items = frame[1]
        value = self.values.get(rest, _MISSING)
        if value is not _MISSING:
            items.append(value)
            return i + 1
        text = rest.lstrip(" ")
        col = ind + len(s) - len(text)
        if text and (_dash(text) or self._key(i, text) is not None):
            new: _Frame = (col, [] if text[0] == "-" else {}, text[0] != "-")
            items.append(new[1])
            self.stack.append(new)
            return self._entry(i, col, text, new) if new[2] else self._item(i, col, text, new)
        value, i = self._value(i, col, text, ind, rest)
        if value is _MISSING:
            value = None
            self.pending = (frame, len(items), ind)
        items.append(value)
        return i

    def _entry(self, i: int, ind: int, s: str, frame: _Frame) -> int:
        """A `key: …` line of the mapping `frame`."""
        p = s.find(": ")
        key = self.keys.get(s[:p], _MISSING) if p > 0 else _MISSING
        if key is not _MISSING:
            rest = s[p + 2:]
        else:
            split = self._key(i, s)
            if split is None:
                raise Unsupported("not a mapping entry")
            key, rest = split
        items = frame[1]
        if key in items:
            self.duplicates.append((i + 1, ind + 1, str(key)))
        value = self.values.get(rest, _MISSING)
        if value is _MISSING:
            text = rest.lstrip(" ")
            value, i = self._value(i, ind + len(s) - len(text), text, ind, rest)
            if value is _MISSING:
                value = None
                self.pending = (frame, key, ind)
        else:
            i += 1
        items[key] = value
        return i

    def _key(self, i: int, s: str) -> tuple[Any, str] | None:
        """(key, what follows `:`) when `s` is a mapping entry, else None."""
        first = s[0]
        if first == "'" or first == '"':
            m = (_SINGLE if first == "'" else _DOUBLE).match(s)
            if m is None:
                return None  # a quoted scalar that goes on: not a key this reader takes
            after = s[m.end():].lstrip(" ")
            if after[:1] != ":" or after[1:2] not in ("", " "):
                return None
            if len(s) - len(after) > _MAX_KEY or (not s.isascii() and len(s[: m.end()].encode()) > _MAX_KEY):
                raise Unsupported("a key longer than libyaml allows")
            return yamlscalar.quoted(first, m.group(1), s[: m.end()]), after[2:]
        if first in _INDICATORS and (first not in "-?:" or s[1:2] in ("", " ")):
            return None
        cut = s.find(" #")
        head = s if cut < 0 else s[:cut]
        p = head.find(": ")
        if p < 0:
            t = head.rstrip(" ")
            if not t.endswith(":"):
                return None
            p = len(t) - 1
        text = head[:p].rstrip(" ")
        if p > _MAX_KEY or (not text.isascii() and len(text.encode()) > _MAX_KEY):
            raise Unsupported("a key longer than libyaml allows")
        return self._plain(text, self.keys), s[p + 2:]

    def _value(self, i: int, col: int, text: str, owner: int, raw: str) -> tuple[Any, int]:
        """The value written at column `col` of line i: `text` is `raw` (all that follows
        `: ` or `- `) without leading spaces; `owner` is the column of the collection it
        belongs to. -> (value, next line); the value is _MISSING when the line ends there."""
        if not text or text[0] == "#":
            return _MISSING, i + 1
        first = text[0]
        if first == "'" or first == '"':
            m = (_SINGLE if first == "'" else _DOUBLE).match(text)
            if m is None:
                raise Unsupported("a quoted scalar over several lines")
            value = yamlscalar.quoted(first, m.group(1), text[: m.end()])
            if m.end() == len(raw):
                self.values[raw] = value
            else:
                _end(text[m.end():])
            return value, i + 1
        if first == "|" or first == ">":
            if self.source is not None:
                self.source.all()  # its lines go on as far as they are indented
            return yamlscalar.block(self.lines, self.broken, i, text, owner)
        if first == "[" or first == "{":
            return self._flow(i, col, text), i + 1
        if first in _INDICATORS and (first not in "-?:" or text[1:2] in ("", " ")):
            raise Unsupported("an indicator this reader leaves to libyaml")
        cut = text.find(" #")
        plain = (text[:cut] if cut >= 0 else text).rstrip(" ")
        if ": " in plain or plain.endswith(":"):
            raise Unsupported("a mapping in a value")  # an error: libyaml words it
        return self._plain(plain, self.values), i + 1

    def _plain(self, text: str, scalars: dict[str, Any]) -> Any:
        """A plain scalar's value (remembered in `scalars`)."""
        value: Any = scalars.get(text, _MISSING)
        if value is _MISSING:
            value = yamlscalar.plain(text)
            if value == value and len(text) <= _MAX_KEY:  # PyYAML makes each NaN anew (each its own key)
                scalars[text] = value
        return value

    def _flow(self, i: int, col: int, rest: str) -> Any:
        """A one-line flow collection: of plain words and simple quoted scalars (`[a, "b c"]`,
        `{timeout: 5m, run: "make test"}`: what plans write most) read here, anything else by
        the event loader alone (its keys repeated are located on this line)."""
        body = rest.rstrip(" ")
        if body == "[]":
            return []
        if body == "{}":
            return {}
        simple = flowline.read(body, self._plain, self.values)  # (PyYAML, which the event
        if simple is not None:  # loader is, costs ~80 M instructions to import)
            return simple
        from gitorch.plan import fastyaml

        found: list[tuple[int, int, str]] = []
        value = fastyaml.load(rest, found)
        if not isinstance(value, list | dict):
            raise Unsupported("flow collection")
        self.duplicates += [(i + line, col + column, key) for line, column, key in found]
        return value


def _dash(s: str) -> bool:
    return s[0] == "-" and (len(s) == 1 or s[1] == " ")


def _end(tail: str) -> None:
    """After a quoted scalar: only spaces, or a comment after a space."""
    if tail and (tail[0] != " " or tail.lstrip(" ")[:1] not in ("", "#")):
        raise Unsupported("text after a quoted scalar")
