"""Monorepos: the member packages of a Cargo workspace (`[workspace] members`) and of npm
workspaces (`"workspaces"`), so a provider can offer a crate or package that lives in a
member folder (serde's virtual root, ripgrep's `crates/*`) and a consumer's member crates
are read. Each member is parsed with its ecosystem's own parser.
"""

from __future__ import annotations

import json
import posixpath
import tomllib
from collections.abc import Callable
from pathlib import Path

from gitorch.workspace.records import Dependency, Diagnostic, Provided

Parser = Callable[[str, str], tuple[str | None, list[Dependency]]]


def member_patterns(ecosystem: str, text: str) -> tuple[list[str], list[str]]:
    """(member globs, excluded folders) the root manifest declares ([] when not a monorepo)."""
    try:
        if ecosystem == "cargo":
            ws = tomllib.loads(text).get("workspace") or {}
            if not isinstance(ws, dict):
                return [], []
            return ([m for m in ws.get("members") or [] if isinstance(m, str)],
                    [m for m in ws.get("exclude") or [] if isinstance(m, str)])
        if ecosystem == "npm":
            data = json.loads(text)
            ws = data.get("workspaces") if isinstance(data, dict) else None
            if isinstance(ws, dict):
                ws = ws.get("packages")
            return ([m for m in ws if isinstance(m, str)] if isinstance(ws, list) else []), []
    except (ValueError, tomllib.TOMLDecodeError):
        pass
    return [], []


def member_dirs(root: Path, patterns: list[str], exclude: list[str]) -> list[str]:
    """Member folders (relative, '/'-separated) that hold a manifest, inside the repository."""
    out: list[str] = []
    for pattern in patterns:
        for hit in sorted(root.glob(pattern)):
            rel = hit.relative_to(root).as_posix()
            if hit.is_dir() and rel not in out and rel != "." and not rel.startswith("..") \
                    and rel not in exclude:
                out.append(rel)
    return out


def read_members(repo: str, root: Path, file: str, ecosystem: str, text: str,
                 parse: Parser) -> tuple[list[Provided], list[Dependency], list[Diagnostic]]:
    """What each member of a monorepo root provides and declares (member files and paths are
    relative to the repository)."""
    patterns, exclude = member_patterns(ecosystem, text)
    provides: list[Provided] = []
    deps: list[Dependency] = []
    diags: list[Diagnostic] = []
    for folder in member_dirs(root, patterns, exclude):
        member_file = f"{folder}/{file}"
        try:
            member_text = (root / member_file).read_text(encoding="utf-8")
            name, found = parse(repo, member_text)
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            diags.append(Diagnostic(severity="error", repo=repo, kind="unparsable_manifest",
                                    message=f"{member_file}: {exc}"))
            continue
        if name:
            provides.append(Provided(ecosystem=ecosystem, name=name, file=member_file, dir=folder))
        for dep in found:
            relative = dep.path and ":" not in dep.path and not dep.path.startswith("/")
            local = posixpath.normpath(f"{folder}/{dep.path}") if relative else dep.path
            deps.append(dep.replace(file=member_file, path=local))
    return provides, deps, diags
