"""What every legacy converter shares: the session imported events belong to, a record's
time and content id, the run a workflow id becomes, and the `Converted` they fill.

Below convert.py and runs.py, which both build on it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitorch import events as ev

SESSION = "legacy"


def parse_time(value: Any) -> datetime | None:
    """A legacy timestamp (ISO 8601 with or without zone, or epoch seconds) in UTC."""
    when: datetime | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC) if when is not None else None


def stamp(value: Any, fallback: float | None = None) -> str | None:
    """gitorch's form of a legacy timestamp (UTC, milliseconds, Z); None when unreadable
    and no fallback (a file's mtime) is given."""
    when = parse_time(value)
    if when is None and fallback is not None:
        when = datetime.fromtimestamp(fallback, UTC)
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def content_id(ts: str, *key: Any, order: int = 0) -> str:
    """A deterministic, time-ordered id (the shape of `ids.new_id`) from a record's content;
    `order` ranks events of the same millisecond (events sort by time, then id)."""
    when = parse_time(ts)
    ms = int(when.timestamp() * 1000) if when else 0
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return f"{ms:012x}{order & 0xFFFF:04x}{digest[:8]}"


def record_ts(record: dict[str, Any]) -> Any:
    return record.get("timestamp", record.get("ts", record.get("time")))


@dataclass
class Converted:
    """Events from a scan, and which file each came from (for per-file counts)."""

    events: list[ev.Event] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)  # event id -> legacy path
    plans: dict[str, bytes] = field(default_factory=dict)  # plans/<digest>.json of imported runs

    def add(self, event: ev.Event, rel: str) -> None:
        if event.id in self.source:
            return  # the same record read twice (another copy of the log)
        self.source[event.id] = rel
        self.events.append(event)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\s]")


def legacy_run(workflow_id: str) -> str:
    """The imported run of a workflow id: `legacy:<id>`, with control characters and
    whitespace (which terminals would act on) written as `_`."""
    return "legacy:" + _UNPRINTABLE.sub("_", workflow_id)
