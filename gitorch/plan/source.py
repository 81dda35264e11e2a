"""Reading one plan file (YAML, JSON or TOML) and mapping plan paths back to its lines.

Parsing uses the fastest reader each format has (for YAML: block YAML read line by line,
then libyaml's events, then libyaml's `CSafeLoader`; msgspec's JSON decoder; tomllib).
Line numbers are only needed when something is wrong, so the source map (YAML node marks,
via `yaml.compose`) is built lazily on the first lookup.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any

from gitorch.errors import Location, OrchError, PlanError
from gitorch.frozen import Record
from gitorch.plan.lazyre import LazyPattern

PathT = tuple[str | int, ...]
FORMATS = {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".toml": "toml"}


def format_path(path: PathT) -> str:
    """("tasks", 3, "dependencies", 0) -> "tasks[3].dependencies[0]"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class Document(Record):
    """One parsed plan file and, on demand, where each plan path sits in it. Behaves as the
    (mutable) dataclass it was, without loading dataclasses: equal field by field to another
    Document, unhashable, the same repr (without `raw`)."""

    _fields = ("file", "display", "fmt", "text", "data", "raw", "duplicates")
    _unshown = ("raw",)
    file: Path
    display: str  # how messages name the file (relative to the repo when possible)
    fmt: str
    text: str
    data: Any
    raw: bytes  # the file's bytes
    duplicates: list[tuple[int, int, str]]  # YAML keys given twice

    def __init__(self, file: Path, display: str, fmt: str, text: str, data: Any, raw: bytes = b"",
                 duplicates: list[tuple[int, int, str]] | None = None) -> None:
        self.file, self.display, self.fmt, self.text = file, display, fmt, text
        self.data, self.raw = data, raw
        self.duplicates = [] if duplicates is None else duplicates

    @functools.cached_property
    def sha256(self) -> str:
        """Of the file's bytes (the plan cache checks it; only a cached load needs it)."""
        import hashlib  # (OpenSSL's, loaded when a digest is made)

        return hashlib.sha256(self.raw).hexdigest()

    def locate(self, path: PathT) -> Location:
        """The Location of `path` (its nearest existing ancestor's line when it is missing)."""
        return self.locate_all([path])[0]

    def locate_all(self, paths: list[PathT]) -> list[Location]:
        """Locations of `paths`, reading the file's structure once (only as far as needed)."""
        wanted = {p[:n] for p in paths for n in range(len(p) + 1)}
        marks: dict[PathT, tuple[int, int]] = {}
        try:
            if self.fmt in ("yaml", "json"):  # JSON is (nearly) YAML: best effort for its lines
                _map_events(self.text, wanted, marks)
            elif self.fmt == "toml":
                _map_toml(self.text, marks)
        except Exception:  # noqa: BLE001 - a map we cannot build only costs line numbers
            pass
        out = []
        for path in paths:
            probe = path
            while probe not in marks and probe:
                probe = probe[:-1]
            line, column = marks.get(probe, (None, None))
            out.append(Location(file=self.display, line=line, column=column, path=format_path(path) or None))
        return out


_TOML_HEADER = LazyPattern(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_NAME = r"(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
_TOML_KEY = LazyPattern(rf"^(\s*)({_TOML_NAME}(?:\s*\.\s*{_TOML_NAME})*)\s*=")


def _toml_parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted)]


def _map_toml(text: str, marks: dict[PathT, tuple[int, int]]) -> None:
    """Where tables, array-of-tables entries (`[[tasks]]`) and `key =` lines start.

    tomllib gives no positions, so this reads only the line structure TOML plans are
    written in; values inside inline tables and arrays are located at their key's line."""
    table: PathT = ()
    arrays: dict[PathT, int] = {}  # array-of-tables path -> index of its last entry
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if in_string is not None:  # inside a multi-line string: nothing here is structure
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _TOML_HEADER.match(line)
        if header:
            parts: list[str | int] = []
            names = _toml_parts(header.group(2))
            for k, name in enumerate(names):
                parts.append(name)
                last = k == len(names) - 1
                if tuple(parts) in arrays and not (last and header.group(1) == "[["):
                    parts.append(arrays[tuple(parts)])
            path: PathT = tuple(parts)
            if header.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                path = (*path, arrays[path])
            table = path
            marks.setdefault(path, (number, len(line) - len(line.lstrip()) + 1))
            continue
        key = _TOML_KEY.match(line)
        if key:
            marks.setdefault((*table, *_toml_parts(key.group(2))), (number, len(key.group(1)) + 1))
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                in_string = quote
                break


def _map_events(text: str, wanted: set[PathT], marks: dict[PathT, tuple[int, int]]) -> None:
    """Record where each wanted path starts (a mapping entry at its key), walking libyaml's
    parse events: no nodes are built, aliases are not followed, and the walk stops once
    every wanted path is found."""
    import yaml
    from yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceStartEvent,
    )

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # one frame per open collection: [path or None (inside a complex key), is_mapping,
    # next sequence index, key awaited?, current key]
    stack: list[list[Any]] = []
    todo = len(wanted)

    def note(path: PathT | None, mark: Any) -> None:
        nonlocal todo
        if path is not None and path in wanted and path not in marks:
            marks[path] = (mark.line + 1, mark.column + 1)
            todo -= 1

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, CollectionEndEvent):
            stack.pop()
            continue
        if not isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent | AliasEvent):
            continue
        path: PathT | None
        if not stack:
            path = ()
            note(path, event.start_mark)
        else:
            frame = stack[-1]
            parent = frame[0]
            if frame[1] and frame[3]:  # a mapping's key
                frame[3] = False
                frame[4] = event.value if isinstance(event, ScalarEvent) else None
                if frame[4] is not None and parent is not None:
                    note((*parent, frame[4]), event.start_mark)
                path = None  # a complex key's insides are nobody's path
            elif frame[1]:  # a mapping's value: located at its key, noted above
                frame[3] = True
                path = None if parent is None or frame[4] is None else (*parent, frame[4])
            else:  # a sequence item
                path = None if parent is None else (*parent, frame[2])
                frame[2] += 1
                note(path, event.start_mark)
        if isinstance(event, MappingStartEvent):
            stack.append([path, True, 0, True, None])
        elif isinstance(event, SequenceStartEvent):
            stack.append([path, False, 0, False, None])
        if todo <= 0:
            return


def read_document(file: Path, display: str) -> Document:
    """Parse `file`; PlanError (located at the offending line where the format says) otherwise."""
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise _parse_error(display, f"unsupported plan format {file.suffix or '(no extension)'!r}",
                           None, None, hint="use .yml, .yaml, .json or .toml")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise _parse_error(display, "plan file not found", None, None) from None
    except IsADirectoryError:
        raise _parse_error(display, "is a directory, not a plan file", None, None) from None
    except OSError as exc:
        raise _parse_error(display, f"cannot read: {exc.strerror}", None, None) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _parse_error(display, f"not UTF-8 text (byte {exc.start})", line, None) from None
    if not text or text.isspace():  # (strip would copy a large file)
        raise _parse_error(display, "the plan file is empty", None, None,
                           hint="start with `version: 1` and a `tasks:` list (see docs/plan.md)")
    duplicates: list[tuple[int, int, str]] = []
    data = _parse(text, raw, fmt, display, duplicates)
    return Document(file=file, display=display, fmt=fmt, text=text, data=data,
                    raw=raw, duplicates=duplicates)


MAX_DEPTH = 1000
_BRACKETS = LazyPattern(r"[\[\]{}]")


def _brackets_over(text: str, limit: int) -> bool:
    """Whether `[` and `{` occur more than `limit` times in all (str.find scans at memchr's
    speed: a plan of a few brackets is passed over several times faster than by str.count)."""
    seen = 0
    for char in "[{":
        at = text.find(char)
        while at >= 0:
            seen += 1
            if seen > limit:
                return True
            at = text.find(char, at + 1)
    return False


def _flow_depth(text: str) -> int:
    """How deep `[`/`{` nest (brackets inside strings counted too: an upper bound)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


@functools.cache
def _yaml_loader() -> Any:
    """libyaml's safe loader, noting keys given twice in one mapping (YAML keeps the last
    silently, which would drop a command or a check without a word)."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    merge = "tag:yaml.org,2002:merge"

    class PlanLoader(base):  # type: ignore[misc, valid-type]
        duplicates: list[tuple[int, int, str]]

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            mapping = super().construct_mapping(node, deep=deep)
            if len(mapping) < len(node.value):  # merge keys (`<<`) may repeat keys on purpose
                seen: set[Any] = set()
                for key, _ in node.value:
                    if key.tag == merge or not isinstance(key, yaml.ScalarNode):
                        continue
                    if key.value in seen and not getattr(node, "_orch_merged", False):
                        mark = key.start_mark
                        self.duplicates.append((mark.line + 1, mark.column + 1, key.value))
                    seen.add(key.value)
            return mapping

        def flatten_mapping(self, node: Any) -> None:
            if any(k.tag == merge for k, _ in node.value):
                node._orch_merged = True
            super().flatten_mapping(node)

    return PlanLoader


def _parse(text: str, raw: bytes, fmt: str, display: str, duplicates: list[tuple[int, int, str]]) -> Any:
    if fmt == "yaml":
        return _parse_yaml(text, display, duplicates)
    if fmt == "json":
        return _parse_json(raw, display)
    return _parse_toml(text, display)


def _parse_yaml(text: str, display: str, duplicates: list[tuple[int, int, str]]) -> Any:
    if _brackets_over(text, MAX_DEPTH) and _flow_depth(text) > MAX_DEPTH:  # the count: a fast bound
        # libyaml's node composer recurses in C: thousands of `[` would overflow the stack
        raise _parse_error(display, "invalid YAML: nested too deeply", None, None)
    from gitorch.plan import blockyaml
    from gitorch.plan.yamlscalar import Unsupported

    try:
        # the fastest reader that takes the text: block YAML line by line (the plans people
        # write; it imports no PyYAML), then libyaml's events, then the full loader (which
        # also words every error)
        try:
            return blockyaml.load(text, duplicates)
        except Unsupported:
            duplicates.clear()  # the next reader finds them again
        return _parse_pyyaml(text, duplicates)
    except RecursionError:
        raise _parse_error(display, "invalid YAML: nested too deeply", None, None) from None
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors fail on some scalars
        yaml = sys.modules.get("yaml")  # (imported when a reader raised one of its errors)
        if yaml is not None and isinstance(exc, yaml.YAMLError):
            raise _yaml_error(exc, text, display) from None
        # an integer of 5,000 digits, `!!int ""`: bad input, not a gitorch bug
        raise _parse_error(display, f"invalid YAML: {_first_line(exc)}", None, None) from None


def _parse_pyyaml(text: str, duplicates: list[tuple[int, int, str]]) -> Any:
    """`text` read by libyaml's events (plan/fastyaml.py), else by its full loader."""
    from gitorch.plan import fastyaml

    try:
        return fastyaml.load(text, duplicates)
    except fastyaml.Unsupported:
        duplicates.clear()
    loader = _yaml_loader()(text)
    loader.duplicates = duplicates
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_error(exc: Exception, text: str, display: str) -> PlanError:
    """PyYAML's error located at its mark (with a hint when the line is indented with tabs)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return _parse_error(display, msg, None, None)
    lines = text.splitlines()
    at = lines[mark.line] if mark.line < len(lines) else ""
    # libyaml names a tab only sometimes ("cannot start any token" otherwise)
    indent = at[: len(at) - len(at.lstrip(" \t"))]
    hint = None
    if "\t" in indent:
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    return _parse_error(display, msg, mark.line + 1, mark.column + 1, hint=hint)


def _parse_json(raw: bytes, display: str) -> Any:
    import msgspec

    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        m = re.search(r"\(byte (\d+)\)", str(exc))
        line = col = None
        if m:
            before = raw[: int(m.group(1))]
            line = before.count(b"\n") + 1
            col = len(before) - (before.rfind(b"\n") + 1) + 1
        msg = re.sub(r"\s*\(byte \d+\)| - at `\$[^`]*`", "", str(exc))
        raise _parse_error(display, f"invalid JSON: {msg.removeprefix('JSON is malformed: ')}",
                           line, col) from None
    except RecursionError:
        raise _parse_error(display, "invalid JSON: nested too deeply", None, None) from None


def _parse_toml(text: str, display: str) -> Any:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        raise _parse_error(display, f"invalid TOML: {msg}", line, col) from None
    except RecursionError:
        raise _parse_error(display, "invalid TOML: nested too deeply", None, None) from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        raise _parse_error(display, f"invalid TOML: {_first_line(exc)}", None, None) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0].split("; use sys.")[0]


def _parse_error(display: str, message: str, line: int | None, column: int | None,
                 hint: str | None = None) -> PlanError:
    where = Location(file=display, line=line, column=column)
    problem = OrchError(message, where, hint=hint)
    return PlanError(message, where, hint=hint, problems=[problem])
