"""Acceptance checks, evaluated by gitorch itself: the evidence is what it observed.

Exit codes come from commands it ran; file existence and contents from the work tree,
with the file list from git (`git ls-files --cached --others --exclude-standard`, so
ignored build output is not searched). A `Contains` without paths searches the task's
preferred paths.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.engine.inputs import match_paths
from gitorch.gitcmd import clean_env
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


@dataclass
class CheckContext:
    """What checks of one task need: where files are and its preferred paths."""

    root: Path
    preferred: Sequence[str]
    _files: list[str] | None = field(default=None, repr=False)

    def files(self) -> list[str]:
        """Files git sees in the work tree (tracked and untracked, not ignored), sorted."""
        if self._files is None:
            proc = subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=self.root, capture_output=True, env=clean_env(),
            )
            names = {n.decode("utf-8", "surrogateescape") for n in proc.stdout.split(b"\0") if n}
            self._files = sorted(n for n in names if (self.root / n).is_file())
        return self._files


def evaluate(check: Check, ctx: CheckContext) -> tuple[bool, dict[str, Any]]:
    """Evaluate a file or content check; (passed, evidence). The runner runs command checks."""
    if isinstance(check, CommandCheck):
        raise TypeError("command checks are run by the runner (they are commands)")
    if isinstance(check, FileExists | FileAbsent):
        found = _existing(check.path, ctx)
        evidence = {"path": check.path, "exists": bool(found)}
        if found and found != [check.path]:
            evidence["matched"] = found[:MAX_HITS]
        return bool(found) == isinstance(check, FileExists), evidence
    return _search(check, ctx)


def _existing(path: str, ctx: CheckContext) -> list[str]:
    if set("*?[") & set(path):
        return match_paths(ctx.files(), [path])
    p = ctx.root / path
    return [path] if p.exists() or p.is_symlink() else []


def _search(check: Contains | NotContains | Matches, ctx: CheckContext) -> tuple[bool, dict[str, Any]]:
    patterns = list(check.paths) or list(ctx.preferred)
    files = match_paths(ctx.files(), patterns) if patterns else ctx.files()
    evidence: dict[str, Any] = {"paths": patterns or ["(all files)"], "searched": len(files)}
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
    return (not found) if isinstance(check, NotContains) else bool(found), evidence


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
                evidence.setdefault("too_large", []).append(name)
                continue
            data = path.read_bytes()
        except OSError:
            continue
        for offset in find(data)[:MAX_HITS]:
            line = data.count(NEWLINE, 0, offset) + 1
            found.append(f"{name}:{line}")
            if len(found) >= MAX_HITS:
                return found
    return found
