"""Reading the seed's legacy state without changing it.

Layouts, as the seed's tools wrote them (paths relative to the work tree root):

- `.workflow_state.json` and `.workflow_log.jsonl`: the scattered files of the first tool;
- `.orchestrator/`: `meta.json`, `current`, `sessions/<id>/state.json`, `log.jsonl`,
  `meta.json`, `feedback/*.jsonl`, `checkpoints/`, `config.yaml`; its `secrets/` folder is
  never imported (secrets do not go on the state branch);
- `.codex/runs/<timestamp>.jsonl`: event logs in the seed's event model
  (`{"ts": …, "type": "task_started", "task": "EXC-001"}`).

Symbolic links are reported and never followed. A file that is not valid JSON (or JSONL)
is reported with its line; the caller decides whether to skip it.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from gitorch import events as ev

SINGLE_FILES = (".workflow_state.json", ".workflow_log.jsonl")
DIRECTORIES = (".orchestrator", ".codex/runs")
NEVER_IMPORTED = (".orchestrator/secrets",)  # secrets stay off the state branch


@dataclass
class LegacyFile:
    """One legacy file: where it is, what it holds, and the events it becomes."""

    rel: str  # posix path relative to the work tree root
    size: int
    sha256: str
    blob: str  # git blob id (sha1) of its bytes, to restore them exactly
    mode: int
    kind: str  # state | log | events | meta | other
    data: bytes = b""
    problem: str | None = None  # why it cannot be read (invalid JSON, line N)
    events: list[ev.Event] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.rel, "size": self.size, "sha256": self.sha256, "blob": self.blob,
                "mode": self.mode, "kind": self.kind, "events": len(self.events),
                **({"problem": self.problem} if self.problem else {})}


@dataclass
class Scan:
    """Everything legacy under a work tree."""

    root: Path
    files: list[LegacyFile] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)  # e.g. secrets

    @property
    def good(self) -> list[LegacyFile]:
        return [f for f in self.files if f.problem is None]

    @property
    def bad(self) -> list[LegacyFile]:
        return [f for f in self.files if f.problem is not None]

    @property
    def present(self) -> bool:
        return bool(self.files or self.symlinks)


def git_blob_id(data: bytes) -> str:
    """The id git gives `data` as a blob (sha1 object format)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def exists(root: Path) -> bool:
    """Cheap test: is any legacy path present (without reading anything)?"""
    return any(os.path.lexists(root / p) for p in (*SINGLE_FILES, *DIRECTORIES))


def scan(root: Path, *, convert: bool = True) -> Scan:
    """Find and read every legacy file under `root` (no symlink is followed)."""
    result = Scan(root)
    for rel in SINGLE_FILES:
        _visit(result, root, rel, convert)
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
                _walk(result, root, rel, convert)
    result.symlinks = sorted(set(result.symlinks))
    result.files.sort(key=lambda f: f.rel)
    return result


def _walk(result: Scan, root: Path, top: str, convert: bool) -> None:
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
        dirnames.sort()
        for name in sorted(filenames):
            _visit(result, root, (base / name).relative_to(root).as_posix(), convert)


def _visit(result: Scan, root: Path, rel: str, convert: bool) -> None:
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
                      blob=git_blob_id(data), mode=stat.S_IMODE(st.st_mode), kind=_kind(rel),
                      data=data)
    item.problem = _check(rel, data)
    if convert and item.problem is None:
        item.events = to_events(rel, data, st.st_mtime)
    result.files.append(item)


def _kind(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    if rel.startswith(".codex/runs/"):
        return "events"
    if name in ("state.json", ".workflow_state.json"):
        return "state"
    if name.endswith(".jsonl"):
        return "log"
    if name == "meta.json":
        return "meta"
    return "other"


def _check(rel: str, data: bytes) -> str | None:
    """Why the file is not valid JSON/JSONL, naming the line; None when it is fine."""
    if rel.endswith(".json"):
        try:
            json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            return f"not valid JSON{f' (line {line})' if line else ''}: {getattr(exc, 'msg', exc)}"
    elif rel.endswith(".jsonl"):
        for number, line_bytes in enumerate(data.splitlines(), 1):
            if not line_bytes.strip():
                continue
            try:
                json.loads(line_bytes)
            except (ValueError, UnicodeDecodeError) as exc:
                return f"not valid JSON Lines (line {number}): {getattr(exc, 'msg', exc)}"
    return None


# --- conversion to events ----------------------------------------------------------------

def _ts(value: Any, fallback: float) -> str:
    """A legacy timestamp as gitorch's (UTC, milliseconds, Z); the file's mtime when absent."""
    when: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        when = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when is None:
        when = datetime.fromtimestamp(fallback, UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _event_id(ts: str, rel: str, index: int, line: bytes) -> str:
    """A deterministic, time-ordered id: importing the same line twice gives the same event."""
    try:
        ms = int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        ms = 0
    digest = hashlib.sha256(rel.encode() + b"\0" + line).hexdigest()[:8]
    return f"{ms:012x}{index & 0xFFFF:04x}{digest}"


_KNOWN_TYPES = ev.EVENT_TYPES - {"unknown"}


def _run_id(rel: str) -> str:
    """Which legacy run or session a file belongs to."""
    parts = rel.split("/")
    if rel.startswith(".orchestrator/sessions/") and len(parts) > 2:
        return f"legacy:{parts[2]}"
    if rel.startswith(".codex/runs/"):
        return "legacy:" + parts[-1].rsplit(".", 1)[0]
    return "legacy:workflow"


def to_events(rel: str, data: bytes, mtime: float) -> list[ev.Event]:
    """The events a legacy file becomes: one per log line (typed when the seed's event model
    names a gitorch type), plus one `migrated` summary per state or metadata file."""
    run = _run_id(rel)
    out: list[ev.Event] = []
    if rel.endswith(".jsonl"):
        for index, line in enumerate(data.splitlines()):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict):
                record = {"value": record}
            out.append(_record_event(record, rel, index, line, mtime, run))
        return out
    ts = _ts(None, mtime)
    summary: dict[str, Any] = {"file": rel}
    if rel.endswith(".json"):
        doc = json.loads(data)
        if isinstance(doc, dict):
            summary["keys"] = sorted(str(k) for k in doc)[:50]
            for key in ("status", "current_phase", "phase", "session_id", "workflow_id", "version"):
                if isinstance(doc.get(key), str | int):
                    summary[key] = doc[key]
    out.append(ev.Generic(id=_event_id(ts, rel, 0, data), ts=ts, session="legacy", run=run,
                          kind="legacy_" + _kind(rel), data=summary))
    return out


def _record_event(record: dict[str, Any], rel: str, index: int, line: bytes, mtime: float,
                  run: str) -> ev.Event:
    ts = _ts(record.get("ts", record.get("timestamp", record.get("time"))), mtime)
    base: dict[str, Any] = {"id": _event_id(ts, rel, index, line), "ts": ts, "session": "legacy",
                            "run": run}
    kind = record.get("type")
    if isinstance(kind, str) and kind in _KNOWN_TYPES:
        # Identity and schema are gitorch's; the rest of the record is the seed's event.
        fields = {k: v for k, v in record.items()
                  if k not in ("id", "ts", "session", "run", "schema_version")}
        fields.update(base)
        for key in ("task", "shard"):
            if fields.get(key) is not None and not isinstance(fields[key], str):
                fields[key] = str(fields[key])
        try:
            return msgspec.convert(fields, ev.AnyEvent, strict=False)  # type: ignore[arg-type]
        except msgspec.ValidationError:
            pass  # the seed's field had another shape: keep the record whole below
    label = record.get("event_type") or record.get("type") or record.get("event") or "record"
    task = record.get("task", record.get("item_id", record.get("task_id")))
    return ev.Generic(**base, task=str(task) if task is not None else None,
                      kind=f"legacy:{label}", data=record)
