"""Acceptance checks, evaluated by gitorch itself: the evidence is what it observed.

Exit codes come from commands it ran; file existence and contents from the work tree.
What a check searches: a file or folder it (or its task) names explicitly is searched whole,
whether or not .gitignore covers it (a task's build output is what it names); a glob and the
all-files default take the files git sees (`git ls-files --cached --others --exclude-standard`),
so ignored build output is not searched. A `Contains` without paths searches the task's
preferred paths. No check follows a symlink out of the repository.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from gitorch.engine.inputs import match_paths
from gitorch.gitcmd import git
from gitorch.plan.model import (
    Check,
    CommandCheck,
    Contains,
    FileAbsent,
    FileExists,
    Matches,
    NotContains,
)

NEWLINE = b"\n"
MAX_HITS = 5  # locations listed as evidence per check
MAX_FILE_BYTES = 8 * 1024 * 1024  # larger files are not searched (named in the evidence)

def describe(check: Check) -> str:
    """How a check reads in messages and reports (the user's own wording when given)."""
    if check.label:
        return check.label
    if isinstance(check, CommandCheck):
        exit_part = "" if check.exit_code == 0 else f" (exit {check.exit_code})"
        return f"Command passes: {check.run}{exit_part}"
    if isinstance(check, FileExists):
        return f"File exists: {check.path}"
    if isinstance(check, FileAbsent):
        return f"File absent: {check.path}"
    where = f" in {', '.join(check.paths)}" if check.paths else ""
    if isinstance(check, Contains):
        return f"Contains: {check.text}{where}"
    if isinstance(check, NotContains):
        return f"Does not contain: {check.text}{where}"
    return f"Matches: {check.pattern}{where}"


_GLOB = frozenset("*?[")
OUTSIDE = "outside the repository"
MAX_LISTED = 20  # searched files named in the evidence


class CheckContext(msgspec.Struct):
    """What checks of one task need: where files are, its preferred paths, the repository."""

    root: Path
    preferred: Sequence[str]
    repository: Path | None = None  # what a path must stay in (default: root)
    _files: list[str] | None = None  # these three stay out of the repr, as in the dataclass
    _top: Path | None = None
    _named: dict[tuple[str, ...], list[str]] = msgspec.field(default_factory=dict)

    def __repr__(self) -> str:
        shown = f"root={self.root!r}, preferred={self.preferred!r}, repository={self.repository!r}"
        return f"CheckContext({shown})"

    def files(self) -> list[str]:
        """Files git sees in the work tree (tracked and untracked, not ignored), sorted."""
        if self._files is None:
            self._files = self._listed(["--exclude-standard"], [])
        return self._files

    def named(self, paths: Sequence[str]) -> list[str]:
        """Files at or under the explicitly named `paths`, ignored ones included, sorted."""
        key = tuple(paths)
        if key not in self._named:  # checks of one task often name the same paths
            self._named[key] = self._listed([], [":(literal)" + _plain(p).rstrip("/") for p in paths])
        return self._named[key]

    def _listed(self, options: list[str], specs: list[str]) -> list[str]:
        proc = git(["ls-files", "-z", "--cached", "--others", *options, "--", *specs], self.root,
                   check=False)
        names = {n.decode("utf-8", "surrogateescape") for n in proc.stdout.split(b"\0") if n}
        return sorted(n for n in names if (self.root / n).is_file())

    def inside(self, name: str) -> bool:
        """Whether `name` (relative to root), symlinks resolved, stays in the repository."""
        if self._top is None:
            self._top = (self.repository or self.root).resolve()
        try:
            (self.root / name).resolve().relative_to(self._top)
        except (ValueError, OSError, RuntimeError):  # elsewhere, or a symlink loop
            return False
        return True

    def searched(self, patterns: Sequence[str]) -> list[str]:
        """The files a content check over `patterns` reads (all files git sees when none)."""
        if not patterns:
            return self.files()
        explicit = [p for p in patterns if not _GLOB & set(p) and _plain(p) not in ("", ".")]
        others = [p for p in patterns if p not in explicit]
        found = set(match_paths(self.files(), others)) if others else set()
        if explicit:
            found.update(self.named(explicit))
        return sorted(found)


def _plain(path: str) -> str:
    return path.strip().removeprefix("./")


def evaluate(check: Check, ctx: CheckContext) -> tuple[bool, dict[str, Any]]:
    """Evaluate a file or content check; (passed, evidence). The runner runs command checks."""
    if isinstance(check, CommandCheck):
        raise TypeError("command checks are run by the runner (they are commands)")
    if isinstance(check, FileExists | FileAbsent):
        found, outside = _existing(check.path, ctx)
        evidence: dict[str, Any] = {"path": check.path, "exists": bool(found)}
        if found and found != [check.path]:
            evidence["matched"] = found[:MAX_HITS]
        if outside:
            evidence["note"] = f"{', '.join(outside[:MAX_HITS])}: {OUTSIDE} (a symlink), not looked at"
        return bool(found) == isinstance(check, FileExists), evidence
    return _search(check, ctx)


def _existing(path: str, ctx: CheckContext) -> tuple[list[str], list[str]]:
    """(paths that exist in the repository, paths that lead out of it)."""
    if _GLOB & set(path):
        matched = match_paths(ctx.files(), [path])
    else:
        p = ctx.root / path
        matched = [path] if p.exists() or p.is_symlink() else []
    inside = [m for m in matched if ctx.inside(m)]
    outside = [m for m in matched if m not in inside]
    if not matched and not _GLOB & set(path) and not ctx.inside(path):
        outside = [path]  # a symlinked folder on the way leads out, whether or not the target exists
    return inside, outside


def _search(check: Contains | NotContains | Matches, ctx: CheckContext) -> tuple[bool, dict[str, Any]]:
    patterns = list(check.paths) or list(ctx.preferred)
    candidates = ctx.searched(patterns)
    files = [f for f in candidates if ctx.inside(f)]
    evidence: dict[str, Any] = {"paths": patterns or ["(all files)"], "searched": len(files)}
    evidence["files"] = files[:MAX_LISTED] + ([f"… and {len(files) - MAX_LISTED} more"]
                                              if len(files) > MAX_LISTED else [])
    if len(files) < len(candidates):
        evidence["outside"] = [f for f in candidates if f not in set(files)][:MAX_HITS]
    if isinstance(check, Matches):
        evidence["pattern"] = check.pattern
        try:
            regex = re.compile(check.pattern.encode(), re.MULTILINE)
        except re.error as exc:
            evidence["error"] = f"invalid regular expression: {exc}"
            return False, evidence
        found = _hits(files, ctx.root, lambda data: [m.start() for m in regex.finditer(data)], evidence)
    else:
        needle = check.text.encode()
        evidence["text"] = check.text
        found = _hits(files, ctx.root, lambda data: _find_all(data, needle), evidence)
    evidence["found"] = found
    if not files:
        evidence["note"] = "no file matches the paths"
    if isinstance(check, NotContains):
        return _absent_everywhere(found, evidence), evidence
    return bool(found), evidence


def _absent_everywhere(found: list[str], evidence: dict[str, Any]) -> bool:
    """A `Does not contain` passes only when it read every file it names: one it could not
    read (outside the repository, too large, unreadable) may hold the text. No file at
    all (a glob matching nothing) holds nothing, so that passes."""
    unread = [k for k in ("outside", "too_large", "unreadable") if evidence.get(k)]
    if unread and "note" not in evidence:
        evidence["note"] = f"not every file was read ({', '.join(unread)}), so absence is not shown"
    return not found and not unread


def _find_all(data: bytes, needle: bytes) -> list[int]:
    out: list[int] = []
    i = data.find(needle)
    while i >= 0 and len(out) < MAX_HITS:
        out.append(i)
        i = data.find(needle, i + 1)
    return out


def _hits(
    files: Sequence[str], root: Path, find: Callable[[bytes], list[int]], evidence: dict[str, Any],
) -> list[str]:
    found: list[str] = []
    for name in files:
        path = root / name
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                skipped = evidence.setdefault("too_large", [])
                if len(skipped) < MAX_LISTED:  # evidence stays bounded however many there are
                    skipped.append(name)
                continue
            data = path.read_bytes()
        except OSError:
            unreadable = evidence.setdefault("unreadable", [])
            if len(unreadable) < MAX_LISTED:
                unreadable.append(name)
            continue
        for offset in find(data)[:MAX_HITS]:
            line = data.count(NEWLINE, 0, offset) + 1
            found.append(f"{name}:{line}")
            if len(found) >= MAX_HITS:
                return found
    return found
