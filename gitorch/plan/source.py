"""Reading one plan file (YAML, JSON or TOML) and mapping plan paths back to its lines.

Parsing uses the fastest reader each format has (libyaml's `CSafeLoader`, msgspec's JSON
decoder, tomllib). Line numbers are only needed when something is wrong, so the source map
(YAML node marks, via `yaml.compose`) is built lazily on the first lookup.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.errors import Location, OrchError, PlanError

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


@dataclass
class Document:
    """One parsed plan file and, on demand, where each plan path sits in it."""

    file: Path
    display: str  # how messages name the file (relative to the repo when possible)
    fmt: str
    text: str
    data: Any
    sha256: str = ""  # of the file's bytes (the plan cache checks it)
    duplicates: list[tuple[int, int, str]] = field(default_factory=list)  # YAML keys given twice
    _marks: dict[PathT, tuple[int, int]] | None = field(default=None, repr=False)

    def locate(self, path: PathT, shown: PathT | None = None) -> Location:
        """The Location of `path` (its nearest existing ancestor's line when it is missing)."""
        line = column = None
        marks = self._source_map()
        probe = path
        while True:
            if probe in marks:
                line, column = marks[probe]
                break
            if not probe:
                break
            probe = probe[:-1]
        return Location(file=self.display, line=line, column=column,
                        path=format_path(path if shown is None else shown) or None)

    def _source_map(self) -> dict[PathT, tuple[int, int]]:
        if self._marks is None:
            self._marks = {}
            if self.fmt in ("yaml", "json"):  # JSON is (nearly) YAML: best effort for its lines
                try:
                    _map_yaml(self.text, self._marks)
                except Exception:  # noqa: BLE001 - a map we cannot build only costs line numbers
                    pass
        return self._marks


def _map_yaml(text: str, marks: dict[PathT, tuple[int, int]]) -> None:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    root = yaml.compose(text, Loader=loader)
    if root is None:
        return
    marks[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    stack: list[tuple[Any, PathT]] = [(root, ())]
    seen: set[int] = set()  # aliases make the node graph shared, even cyclic (`&a [*a]`)
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                sub = (*path, key.value)
                marks.setdefault(sub, (key.start_mark.line + 1, key.start_mark.column + 1))
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = (*path, i)
                marks.setdefault(sub, (item.start_mark.line + 1, item.start_mark.column + 1))
                stack.append((item, sub))


def read_document(file: Path, display: str) -> Document:
    """Parse `file`; PlanError (located at the offending line where the format says) otherwise."""
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise _parse_error(display, f"unsupported plan format {file.suffix or '(no extension)'!r}",
                           None, None, hint="use .yml, .yaml, .json or .toml")
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise _parse_error(display, "no such plan file", None, None) from None
    except IsADirectoryError:
        raise _parse_error(display, "is a directory, not a plan file", None, None) from None
    except OSError as exc:
        raise _parse_error(display, f"cannot read: {exc.strerror}", None, None) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _parse_error(display, f"not UTF-8 text (byte {exc.start})", line, None) from None
    if not text.strip():
        raise _parse_error(display, "the plan file is empty", None, None,
                           hint="start with `version: 1` and a `tasks:` list (see docs/plan.md)")
    duplicates: list[tuple[int, int, str]] = []
    data = _parse(text, raw, fmt, display, duplicates)
    return Document(file=file, display=display, fmt=fmt, text=text, data=data,
                    sha256=hashlib.sha256(raw).hexdigest(), duplicates=duplicates)


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
        import yaml

        loader = _yaml_loader()(text)
        loader.duplicates = duplicates
        try:
            return loader.get_single_data()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            context = getattr(exc, "context", None)
            msg = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
            if mark is not None:
                raise _parse_error(display, msg, mark.line + 1, mark.column + 1) from None
            raise _parse_error(display, msg, None, None) from None
        except RecursionError:
            raise _parse_error(display, "invalid YAML: nested too deeply", None, None) from None
        finally:
            loader.dispose()
    if fmt == "json":
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
            msg = re.sub(r"\s*\(byte \d+\)", "", str(exc))
            raise _parse_error(display, f"invalid JSON: {msg.removeprefix('JSON is malformed: ')}",
                               line, col) from None
        except RecursionError:
            raise _parse_error(display, "invalid JSON: nested too deeply", None, None) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (None, None)
        raise _parse_error(display, f"invalid TOML: {msg}", line, col) from None
    except RecursionError:
        raise _parse_error(display, "invalid TOML: nested too deeply", None, None) from None


def _parse_error(display: str, message: str, line: int | None, column: int | None,
                 hint: str | None = None) -> PlanError:
    where = Location(file=display, line=line, column=column)
    problem = OrchError(message, where, hint=hint)
    return PlanError(message, where, hint=hint, problems=[problem])
