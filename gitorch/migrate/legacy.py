"""Finding and reading the legacy state of the tools gitorch replaces, without changing it.

Layouts, as workflow-orchestrator and the seed's tools write them (paths relative to the
work tree root):

- `.workflow_state.json`, `.workflow_log.jsonl`: the first, scattered layout; beside them
  `.workflow_checkpoints/*.json` and the feedback logs (`.workflow_feedback.jsonl`, split
  later into `.workflow_tool_feedback.jsonl` and `.workflow_process_feedback.jsonl`);
- `.orchestrator/`: `state.json`, `log.jsonl`, `meta.json`, `current`,
  `sessions/<id>/{state.json,log.jsonl,meta.json,checkpoints/,feedback/}`; its `secrets/`
  folder is never imported (secrets do not go on the state branch) and its `worktrees/`
  are git work trees, not state;
- `.codex/runs/<timestamp>.jsonl`: event logs in the seed's event model;
- `.graft/state.json`: the links mix_graft made (see `graft_state`).

`.claude/prd_state.json` belongs to another tool that still reads it: it is reported,
never imported or removed. Symbolic links are reported and never followed; any folder
holding `.git` (a worktree, a nested clone) is reported and skipped. A JSON Lines file
keeps its readable lines: a line that is not JSON (the cut-off last line of a crash
mid-write) is a warning naming the file and line. A `.json` file that does not parse is a
problem: the caller decides whether to skip it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.legacypaths import DIRECTORIES, SINGLE_FILES
from gitorch.legacypaths import exists as exists  # the cheap test, where read-only commands find it

NEVER_IMPORTED = (".orchestrator/secrets",)  # secrets stay off the state branch
# Files another tool owns and still reads: reported (dry run, notice, doctor), never taken.
FOREIGN = {
    ".claude/prd_state.json": "workflow-orchestrator's PRD executor reads it back; "
                              "left to that tool (never imported or removed)",
    ".workflow_approvals.db": "workflow-orchestrator's approval queue (SQLite); not imported: "
                              "gitorch gates are approved with `git orch approve` (never removed)",
}


@dataclass
class Line:
    """One readable JSON Lines record (or a whole JSON document, number 0)."""

    number: int
    raw: bytes
    value: Any


@dataclass
class LegacyFile:
    """One legacy file: where it is, what it holds, what could not be read."""

    rel: str  # posix path relative to the work tree root
    size: int
    sha256: str
    blob: str  # git blob id (sha1) of its bytes, to restore them exactly
    mode: int
    kind: str  # state | log | events | checkpoint | feedback | meta | other
    mtime: float = 0.0
    data: bytes = b""
    problem: str | None = None  # why it cannot be read at all (invalid JSON, line N)
    warnings: list[str] = field(default_factory=list)  # lines left out, each named
    lines: list[Line] = field(default_factory=list)
    events: int = 0  # how many events it contributes (set by the conversion)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.rel, "size": self.size, "sha256": self.sha256,
                               "blob": self.blob, "mode": self.mode, "kind": self.kind,
                               "events": self.events}
        if self.problem:
            out["problem"] = self.problem
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


@dataclass
class Scan:
    """Everything legacy under a work tree."""

    root: Path
    files: list[LegacyFile] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # e.g. secrets
    worktrees: list[str] = field(default_factory=list)  # folders holding .git: not state
    foreign: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}

    @property
    def good(self) -> list[LegacyFile]:
        return [f for f in self.files if f.problem is None]

    @property
    def bad(self) -> list[LegacyFile]:
        return [f for f in self.files if f.problem is not None]

    @property
    def warnings(self) -> list[str]:
        return [w for f in self.files for w in f.warnings]

    @property
    def present(self) -> bool:
        return bool(self.files or self.symlinks or self.worktrees)


def git_blob_id(data: bytes) -> str:
    """The id git gives `data` as a blob (sha1 object format)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def scan(root: Path, *, read: bool = True) -> Scan:
    """Find every legacy file under `root` (no symlink followed, no worktree entered);
    with `read`, parse each one too."""
    result = Scan(root)
    for rel in SINGLE_FILES:
        _visit(result, root, rel, read)
    for rel in DIRECTORIES:
        path = root / rel
        # A symlinked parent (".codex" itself) counts as a symlinked legacy path too.
        for parent in Path(rel).parents:
            if str(parent) != "." and (root / parent).is_symlink():
                result.symlinks.append(parent.as_posix())
                break
        else:
            if path.is_symlink():
                result.symlinks.append(rel)
            elif path.is_dir():
                _walk(result, root, rel, read)
    for rel, reason in FOREIGN.items():
        if os.path.lexists(root / rel):
            result.foreign.append({"path": rel, "reason": reason})
    result.symlinks = sorted(set(result.symlinks))
    result.worktrees.sort()
    result.files.sort(key=lambda f: f.rel)
    return result


def _is_worktree(path: Path) -> bool:
    return os.path.lexists(path / ".git")


def _walk(result: Scan, root: Path, top: str, read: bool) -> None:
    if _is_worktree(root / top):
        result.worktrees.append(top + "/")
        return
    for dirpath, dirnames, filenames in os.walk(root / top, followlinks=False):
        base = Path(dirpath)
        for d in list(dirnames):
            rel = (base / d).relative_to(root).as_posix()
            if (base / d).is_symlink():
                result.symlinks.append(rel)
                dirnames.remove(d)
            elif rel in NEVER_IMPORTED:
                result.excluded.append(rel + "/")
                dirnames.remove(d)
            elif _is_worktree(base / d):
                result.worktrees.append(rel + "/")
                dirnames.remove(d)
        dirnames.sort()
        for name in sorted(filenames):
            _visit(result, root, (base / name).relative_to(root).as_posix(), read)


def _visit(result: Scan, root: Path, rel: str, read: bool) -> None:
    path = root / rel
    try:
        st = path.lstat()
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        result.symlinks.append(rel)
        return
    if not stat.S_ISREG(st.st_mode):
        return
    data = path.read_bytes()
    item = LegacyFile(rel=rel, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                      blob=git_blob_id(data), mode=stat.S_IMODE(st.st_mode), kind=kind_of(rel),
                      mtime=st.st_mtime, data=data)
    if read:
        parse(item)
    result.files.append(item)


def kind_of(rel: str) -> str:
    """What a legacy path holds, by where the tools write it."""
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(".codex/runs/"):
        return "events"
    if rel.startswith(".graft/"):
        return "graft"
    if name in ("state.json", ".workflow_state.json"):
        return "state"
    if "feedback" in name or "/feedback/" in rel:
        return "feedback" if name.endswith(".jsonl") else "other"
    if (rel.startswith(".workflow_checkpoints/") or "/checkpoints/" in rel) and name.endswith(".json"):
        return "checkpoint"
    if name.endswith(".jsonl"):
        return "log"
    if name == "meta.json":
        return "meta"
    return "other"


def parse(item: LegacyFile) -> None:
    """Fill `item.lines`, `item.warnings` and `item.problem` from its bytes."""
    if item.rel.endswith(".jsonl"):
        _parse_lines(item)
    elif item.rel.endswith(".json"):
        try:
            item.lines = [Line(0, item.data, json.loads(item.data))]
        except RecursionError:
            item.problem = "not valid JSON: nested too deeply"
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            item.problem = (f"not valid JSON{f' (line {line})' if line else ''}: "
                            f"{getattr(exc, 'msg', exc)}")


def _parse_lines(item: LegacyFile) -> None:
    raw_lines = item.data.split(b"\n")
    last = len(raw_lines) - (1 if item.data.endswith(b"\n") else 0)
    for number, raw in enumerate(raw_lines[:last], 1):
        if not raw.strip():
            continue
        try:
            item.lines.append(Line(number, raw, json.loads(raw)))
        except RecursionError:
            item.warnings.append(f"{item.rel}: line {number} skipped: not valid JSON: nested too deeply")
        except (ValueError, UnicodeDecodeError) as exc:
            cut = number == last and not item.data.endswith(b"\n")
            why = "cut off (no line end: a crash mid-write?)" if cut else "not valid JSON"
            item.warnings.append(f"{item.rel}: line {number} skipped: {why}: "
                                 f"{getattr(exc, 'msg', exc)}")
