"""Legacy records as gitorch events: dated by their own timestamps, identified by content.

A record's id is derived from what it says (for workflow-orchestrator: timestamp, workflow,
event, phase and item), never from the file or line it was read from, so the same record
read from two copies (the root log and the session copy the old tool's migration script
leaves behind) is one event, and a second import finds the ids it already has.
"""

from __future__ import annotations

from typing import Any

import msgspec

from gitorch import events as ev
from gitorch.migrate.converted import SESSION, Converted, content_id, legacy_run, record_ts, stamp
from gitorch.migrate.legacy import LegacyFile, Scan

_KNOWN_TYPES = ev.EVENT_TYPES - {"unknown"}


def convert(found: Scan) -> Converted:
    """Every event the good files of `found` become, each record once."""
    from gitorch.migrate import runs

    out = Converted()
    # Root files first: a record found again in a session copy is attributed to the original.
    files = sorted(found.good, key=lambda f: (f.rel.startswith(".orchestrator/sessions/"), f.rel))
    runs.convert_workflows(files, out)
    for f in files:
        if f.kind == "events":
            for n, line in enumerate(f.lines):
                out.add(seed_event(line.value, f, line.raw, order=n), f.rel)
        elif f.kind == "log":
            for line in f.lines:  # lines that are not a workflow's (another shape, no id)
                if not runs.is_workflow_record(line.value):
                    out.add(seed_event(line.value, f, line.raw, typed=False), f.rel)
        elif f.kind == "state" and f.lines and not runs.is_workflow_state(f.lines[0].value):
            _summary(f, out)
        elif f.kind == "checkpoint":
            _checkpoint(f, out)
        elif f.kind == "feedback":
            _feedback(f, out)
        elif f.kind == "graft":
            _graft(f, out)
    counts: dict[str, int] = {}
    for rel in out.source.values():
        counts[rel] = counts.get(rel, 0) + 1
    for f in found.files:
        f.events = counts.get(f.rel, 0)
    out.events.sort(key=lambda e: e.ts)  # stable: records of one instant keep their order
    return out


def _run_of(rel: str) -> str:
    return legacy_run(rel.rsplit("/", 1)[-1].rsplit(".", 1)[0])


def seed_event(record: Any, f: LegacyFile, raw: bytes, *, typed: bool = True, order: int = 0) -> ev.Event:
    """A line of `.codex/runs/*.jsonl` (the seed's own event model): typed when gitorch
    knows its type, else (and for any other log's stray lines) a note keeping it whole."""
    if not isinstance(record, dict):
        record = {"value": record}
    run = _run_of(f.rel) if typed else "legacy:workflow"
    ts = stamp(record_ts(record), f.mtime) or ev.now()
    base: dict[str, Any] = {"id": content_id(ts, run, raw.decode(errors="replace"), order=order), "ts": ts,
                            "session": SESSION, "run": run}
    kind = record.get("type")
    if typed and isinstance(kind, str) and kind in _KNOWN_TYPES:
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
    return ev.LegacyRecord(**base, task=str(task) if task is not None else None,
                      kind=f"legacy:{label}", data=record)


def _checkpoint(f: LegacyFile, out: Converted) -> None:
    """A checkpoint (`checkpoint_id`, `workflow_id`, phase, item, message, decisions,
    files, and a snapshot of the whole state) as a record of its run; its bytes, snapshot
    included, are kept with the file on the state branch."""
    doc = f.lines[0].value if f.lines else None
    if not isinstance(doc, dict):
        return
    ts = stamp(record_ts(doc), f.mtime) or ev.now()
    wid = doc.get("workflow_id")
    data = {k: v for k, v in doc.items() if k != "workflow_state_snapshot"}
    data["file"] = f.rel
    out.add(ev.LegacyRecord(id=content_id(ts, "checkpoint", doc.get("checkpoint_id"), wid), ts=ts,
                       session=SESSION, run=legacy_run(wid) if isinstance(wid, str) else "legacy:checkpoints",
                       kind="legacy_checkpoint", data=data), f.rel)


def _feedback(f: LegacyFile, out: Converted) -> None:
    """Feedback lines (tool: anonymized metrics; process: learnings) as records."""
    name = f.rel.rsplit("/", 1)[-1]
    tier = "tool" if "tool" in name else "process" if "process" in name else "feedback"
    for line in f.lines:
        record = line.value if isinstance(line.value, dict) else {"value": line.value}
        ts = stamp(record_ts(record), f.mtime) or ev.now()
        wid = record.get("workflow_id")
        run = legacy_run(wid) if isinstance(wid, str) and wid != "unknown" else "legacy:feedback"
        out.add(ev.LegacyRecord(id=content_id(ts, tier, line.raw.decode(errors="replace")), ts=ts,
                           session=SESSION, run=run, kind=f"legacy_{tier}_feedback",
                           data=record), f.rel)


def _summary(f: LegacyFile, out: Converted) -> None:
    """A state file of another shape (e.g. `.orchestrator/state.json` of the v4 engine):
    one record of its top-level keys, dated by its own timestamp when it has one."""
    doc = f.lines[0].value if f.lines else None
    summary: dict[str, Any] = {"file": f.rel}
    when: Any = None
    if isinstance(doc, dict):
        summary["keys"] = sorted(str(k) for k in doc)[:50]
        for key in ("status", "current_phase", "phase", "session_id", "workflow_id", "version"):
            if isinstance(doc.get(key), str | int):
                summary[key] = doc[key]
        when = doc.get("_updated_at", doc.get("updated_at", doc.get("created_at")))
    ts = stamp(when, f.mtime) or ev.now()
    out.add(ev.LegacyRecord(id=content_id(ts, "state", f.sha256), ts=ts, session=SESSION,
                       run="legacy:workflow", kind="legacy_state", data=summary), f.rel)


def _graft(f: LegacyFile, out: Converted) -> None:
    """Each link mix_graft recorded, as a record dated by the state's `generated_at`."""
    from gitorch.migrate.graft_state import events_of

    doc = f.lines[0].value if f.lines else None
    when = doc.get("generated_at") if isinstance(doc, dict) else None
    ts = stamp(when, f.mtime) or ev.now()
    for entry in events_of(doc):
        data = {k: entry.get(k) for k in ("repo", "target_app", "preimage", "replacement", "operation")}
        out.add(ev.LegacyRecord(id=content_id(ts, "graft", data), ts=ts, session=SESSION, run="legacy:graft",
                           kind="graft_link", data=data), f.rel)
