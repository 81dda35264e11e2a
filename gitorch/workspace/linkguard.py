"""Active links in one repository, for the pre-commit guard and `ws gate`.

`active_links(repo)` names every dependency declaration in the repo's manifests that points
at a local checkout outside the repository (what `ws apply` writes: `file:../lib`,
`lib @ file:///…`, `{ path = "../lib" }`, `replace … => ../lib`, `path: "../lib"`), with the
file and line. Standard library only and no git process, so a hook can call it; `read` lets
the hook look at the staged bytes instead of the work tree.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

TYPE_CHECKING = False  # `import typing` would cost the pre-commit hook a few milliseconds
if TYPE_CHECKING:
    from typing import Any

MANIFESTS = ("pyproject.toml", "package.json", "Cargo.toml", "go.mod", "mix.exs",
             ".cargo/config.toml", "go.work")
ALLOW_ENV = "GITORCH_ALLOW_LINKS"
_GO_REPLACE = re.compile(r"^\s*(?:replace\s+)?(\S+)(?:\s+\S+)?\s*=>\s*(\.{1,2}/\S*|/\S+)", re.M)


@dataclass(frozen=True)
class ActiveLink:
    file: str  # relative to the repository
    line: int  # 1-based, 0 when it cannot be placed
    dep: str
    path: str  # as written

    def describe(self) -> str:
        return f"{self.file}:{self.line}: {self.dep} -> {self.path}"


Reader = Callable[[str], bytes | None]


def _work_tree(repo: Path) -> Reader:
    def read(name: str) -> bytes | None:
        try:
            return (repo / name).read_bytes()
        except OSError:
            return None
    return read


def active_links(repo: Path, read: Reader | None = None) -> list[ActiveLink]:
    """Every declaration in `repo`'s top-level manifests pointing outside the repository."""
    reader = read or _work_tree(repo)
    out: list[ActiveLink] = []
    for name in MANIFESTS:
        data = reader(name)
        if data is None:
            continue
        text = data.decode("utf-8", errors="replace")
        # Cargo reads a config's paths from the folder holding `.cargo`, not from `.cargo`.
        base = repo if name == ".cargo/config.toml" else (repo / name).parent
        for dep, target in _declared(name, text):
            if _outside(repo, base, target):
                out.append(ActiveLink(file=name, line=_line_of(text, target), dep=dep, path=target))
    return out


def allowed() -> bool:
    """GITORCH_ALLOW_LINKS=1 lets a commit with an active link through."""
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def _outside(repo: Path, base: Path, target: str) -> bool:
    if target.startswith("file:"):
        parsed = urlparse(target)
        target = unquote(parsed.path) if parsed.netloc in ("", "localhost") else target[5:]
    if target.startswith("link:"):
        target = target[5:]
    where = os.path.normpath(base / target)
    root = os.path.normpath(repo.absolute())
    return where != root and not where.startswith(root + os.sep)


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def _declared(name: str, text: str) -> Iterator[tuple[str, str]]:
    """(dependency, local target as written) for each path-like declaration in one file."""
    try:
        if name == "package.json":
            yield from _npm(json.loads(text))
        elif name == "pyproject.toml":
            yield from _python(tomllib.loads(text))
        elif name in ("Cargo.toml", ".cargo/config.toml"):
            yield from _cargo(tomllib.loads(text))
        elif name in ("go.mod", "go.work"):
            for m in _GO_REPLACE.finditer(text):
                yield m.group(1), m.group(2)
            if name == "go.work":
                for m in re.finditer(r"^\s*(?:use\s+)?(\.\./\S+|/\S+)\s*$", text, re.M):
                    yield m.group(1), m.group(1)
        elif name == "mix.exs":
            for m in re.finditer(r"\{\s*:(\w+)\s*,[^{}]*?\bpath:\s*\"([^\"]+)\"", text):
                yield m.group(1), m.group(2)
    except (ValueError, tomllib.TOMLDecodeError):
        return  # a manifest that does not parse declares no link we could name


def _npm(data: object) -> Iterator[tuple[str, str]]:
    if not isinstance(data, dict):
        return
    for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        for dep, spec in (data.get(section) or {}).items():
            if isinstance(spec, str) and spec.startswith(("file:", "link:")):
                yield dep, spec


def _table(obj: object, key: str) -> dict[str, Any]:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _python(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    project = _table(data, "project")
    groups: list[object] = [project.get("dependencies") or []]
    groups += list(_table(project, "optional-dependencies").values())
    groups += list(_table(data, "dependency-groups").values())
    for reqs in groups:
        for req in reqs if isinstance(reqs, list) else []:
            if isinstance(req, str) and "@" in req and "file:" in req:
                name, url = req.split("@", 1)
                yield re.split(r"[\s\[;]", name.strip(), maxsplit=1)[0], url.split(";")[0].strip()
    for dep, spec in _table(_table(_table(data, "tool"), "uv"), "sources").items():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            yield dep, spec["path"]


_CARGO_SECTIONS = ("dependencies", "dev-dependencies", "build-dependencies")


def _cargo(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    tables = [_table(data, s) for s in _CARGO_SECTIONS]
    tables += [_table(_table(data, "patch"), r) for r in _table(data, "patch")]
    for target in _table(data, "target").values():
        tables += [_table(target, s) for s in _CARGO_SECTIONS]
    for table in tables:
        for dep, spec in table.items():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                yield dep, spec["path"]
