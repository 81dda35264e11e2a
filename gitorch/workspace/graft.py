"""mix_graft's workspace manifest, `graft.exs`, read as data (never evaluated).

The file is an Elixir literal: a map (or keyword list) with `root` (a path relative to the
file's folder) and `siblings`, each `%{name: :atom, path: "relative/to/root"}`; `repos` is
accepted for `siblings`, and `links` (`%{consumer: :a, provider: :b, dep: :c}`) as in
workspace.toml. Only literals parse: maps, lists, tuples, keyword pairs, atoms, strings,
integers, booleans, nil and comments; anything else (a function call, a variable, an
interpolation) is an error naming its line and column, as mix_graft itself refuses it.
Standard library only, like the manifest loader that calls it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from gitorch.errors import Location, WorkspaceError

GRAFT_NAME = "graft.exs"

_TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<open>%\{|\{|\[)
  | (?P<close>\}|\])
  | (?P<comma>,)
  | (?P<arrow>=>)
  | (?P<key>[A-Za-z_][A-Za-z0-9_]*[?!]?:(?=\s))
  | (?P<qkey>"(?:[^"\\]|\\.)*":(?=\s))
  | (?P<atom>:[A-Za-z_][A-Za-z0-9_@]*[?!]?|:"(?:[^"\\]|\\.)*")
  | (?P<string>"(?:[^"\\\#]|\\.|\#(?!\{))*")
  | (?P<int>-?\d[\d_]*)
  | (?P<word>true|false|nil)(?![A-Za-z0-9_])
""", re.VERBOSE)
_MAX_DEPTH = 64  # collections nested deeper are refused (mix_graft's manifests nest 3 deep)
_BAD_CHAR = re.compile("[\x00-\x1f\x7f]")  # bytes no path of a manifest holds
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "#": "#", "0": "\0"}


class Atom(str):
    """An Elixir atom (`:name`), kept apart from strings."""


class _Parser:
    def __init__(self, text: str, file: Path) -> None:
        self.text, self.file, self.pos = text, file, 0
        self.tokens = self._lex()
        self.i = 0
        self.depth = 0

    def fail(self, message: str, at: int | None = None) -> WorkspaceError:
        if at is not None:
            offset = at
        else:
            offset = self.tokens[self.i][2] if self.i < len(self.tokens) else len(self.text)
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return WorkspaceError(f"{message} (graft.exs is read as data, never run)",
                              where=Location(file=str(self.file), line=line, column=column))

    def _lex(self) -> list[tuple[str, str, int]]:
        out: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(self.text):
            m = _TOKEN.match(self.text, pos)
            if m is None:
                snippet = self.text[pos:pos + 20].split("\n")[0]
                raise self.fail(f"only literal data is allowed here, not `{snippet}`", pos)
            kind = m.lastgroup or ""
            if kind != "space":
                out.append((kind, m.group(), pos))
            pos = m.end()
        return out

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise self.fail("unexpected end of file")
        self.i += 1
        return token

    def value(self) -> Any:
        kind, text, at = self.take()
        if kind == "open":
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.fail(f"collections nested deeper than {_MAX_DEPTH}", at)
            value = self.collection(text)
            self.depth -= 1
            return value
        if kind == "string":
            return _unquote(text[1:-1])
        if kind == "atom":
            return Atom(_unquote(text[2:-1]) if text.startswith(':"') else text[1:])
        if kind == "int":
            return int(text.replace("_", ""))
        if kind == "word":
            return {"true": True, "false": False, "nil": None}[text]
        self.i -= 1
        raise self.fail(f"unexpected `{text}`")

    def collection(self, opener: str) -> Any:
        closer = "]" if opener == "[" else "}"
        items: list[Any] = []
        pairs: dict[Any, Any] = {}
        while True:
            token = self.peek()
            if token is not None and token[0] == "close":
                self.take()
                if token[1] != closer:
                    raise self.fail(f"`{opener}` closed by `{token[1]}`", token[2])
                break
            if token is not None and token[0] in ("key", "qkey"):
                self.take()
                name = _unquote(token[1][1:-2]) if token[0] == "qkey" else token[1][:-1]
                pairs[name] = self.value()
            else:
                item = self.value()
                nxt = self.peek()
                if opener == "%{" and nxt is not None and nxt[0] == "arrow":
                    self.take()
                    pairs[str(item)] = self.value()
                else:
                    items.append(item)
            sep = self.take()
            if sep[0] == "close":
                self.i -= 1
            elif sep[0] != "comma":
                self.i -= 1
                raise self.fail(f"expected `,` or `{closer}`, found `{sep[1]}`")
        if opener == "%{" or (pairs and not items):
            if items:
                raise self.fail("a map holds `key: value` or `key => value` pairs only")
            return pairs
        return items + ([pairs] if pairs else [])


def _unquote(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse_text(text: str, file: Path) -> Any:
    """The literal `text` holds, as Python data (atoms as `Atom`)."""
    parser = _Parser(text, file)
    if not parser.tokens:
        raise parser.fail("the file is empty", 0)
    value = parser.value()
    if parser.peek() is not None:
        raise parser.fail("more than one value")
    return value


def load(root: Path) -> dict[str, object]:
    """The workspace manifest `root/graft.exs` describes, as workspace.toml's data (`repos`,
    `links`) for `manifest.parse`, which validates it: this module stays below the manifest."""
    file = root / GRAFT_NAME
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read {file}: {exc}", where=Location(file=str(file))) from None
    doc = parse_text(text, file)

    def fail(message: str, path: str) -> WorkspaceError:
        return WorkspaceError(message, where=Location(file=str(file), path=path))

    if not isinstance(doc, dict):
        raise fail("graft.exs must be a map such as %{root: \".\", siblings: [...]}", "")
    base = doc.get("root", ".")
    if not isinstance(base, str):
        raise fail("`root` must be a string path", "root")
    if _BAD_CHAR.search(base):
        raise fail(f"`root` {base!r} holds a NUL or control character", "root")
    siblings = doc.get("siblings", doc.get("repos"))
    if not isinstance(siblings, list):
        raise fail("`siblings` must be a list of %{name: :atom, path: \"...\"}", "siblings")
    top = Path(os.path.normpath(root / base))
    repos: list[dict[str, Any]] = []
    for i, sib in enumerate(siblings):
        if not isinstance(sib, dict) or not isinstance(sib.get("name"), str) or not isinstance(
                sib.get("path"), str):
            raise fail("each sibling needs `name` (an atom) and `path` (a string)", f"siblings[{i}]")
        if _BAD_CHAR.search(sib["path"]):
            raise fail(f"sibling {sib['name']}: path {sib['path']!r} holds a NUL or control character",
                       f"siblings[{i}].path")
        where = Path(os.path.normpath(top / sib["path"]))
        if not str(where).startswith(str(top) + os.sep):
            raise fail(f"sibling {sib['name']} resolves to {where}, outside the workspace root {top}",
                       f"siblings[{i}].path")
        repos.append({"name": str(sib["name"]), "path": os.path.relpath(where, root)})
    listed = doc.get("links") or []
    if not isinstance(listed, list):
        raise fail("`links` must be a list of %{consumer: :a, provider: :b, dep: :c}", "links")
    links = [{k: str(v) for k, v in link.items()} if isinstance(link, dict) else link for link in listed]
    return {"repos": repos, "links": links}
