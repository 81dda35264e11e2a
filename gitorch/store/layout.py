"""Where things live on the state branch (pure functions: names and paths, no git).

    gitorch-state.json                  format marker: {"format", "schema_version", ...}
    README.md                           generated summary of the latest runs
    sessions/<day>/<session>/<ff>/<segment>.jsonl
                                        event segments: immutable, uniquely named from
                                        their event ids, fanned out by a hash of the name
    runs/<run>.json                     one summary per run (start, end, status)
    logs/ plans/ approvals/ ...         records written by their owners via append(files=)

An append writes one segment and rewrites only the trees on its path, whose sizes are
bounded (sessions of one day, 256 buckets per session), so it costs the same at 100
events as at 100,000. Names derive from content, so two clones merge by plain union.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from gitorch.errors import UsageError
from gitorch.events import Event

SCHEMA_VERSION = 1
FORMAT = "gitorch-state"
MARKER = "gitorch-state.json"
README = "README.md"
SESSIONS = "sessions"
RUNS = "runs"
README_RUNS = 50  # the README lists this many of the latest runs (keeps it O(1))

_SESSION_RE = re.compile(r"^s-([0-9a-f]{12})-")


class Marker(msgspec.Struct, kw_only=True):
    """The format marker at the root of the branch."""

    format: str = FORMAT
    schema_version: int = SCHEMA_VERSION
    created: str = ""
    gitorch: str = ""


class RunSummary(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What `runs/<run>.json` holds: enough for the README and `state log`."""

    schema_version: int = SCHEMA_VERSION
    run: str
    plan_digest: str = ""
    plan_file: str = ""
    commit: str | None = None
    started: str = ""
    ended: str = ""
    status: str = "running"
    failures: list[str] = []
    sessions: list[str] = []


def safe_name(text: str) -> str:
    """A path component made of safe characters (session and run ids come from users)."""
    out = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in text).strip(".")
    return out[:120] or "_"


def session_day(session: str) -> str:
    """The UTC day a session started, from its id (`s-<ms hex>-<pid>`), else 'undated'."""
    m = _SESSION_RE.match(session)
    if not m:
        return "undated"
    ms = int(m.group(1), 16)
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def segment_name(events: Sequence[Event]) -> str:
    """A unique, deterministic name: the first event id plus a digest of all ids."""
    ids = sorted(e.id for e in events)
    digest = hashlib.sha1("\n".join(ids).encode()).hexdigest()
    return f"{safe_name(ids[0])}-{digest[:12]}.jsonl"


def segment_path(session: str, name: str) -> str:
    bucket = hashlib.sha1(name.encode()).hexdigest()[:2]
    return f"{SESSIONS}/{session_day(session)}/{safe_name(session)}/{bucket}/{name}"


def run_path(run: str) -> str:
    return f"{RUNS}/{safe_name(run)}.json"


def check_path(path: str) -> str:
    """A record path callers may write: relative, no `..`, not the marker or sessions/."""
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or any(p in ("", ".", "..", ".git") for p in parts)
        or path == MARKER
        or parts[0] == SESSIONS
    ):
        raise UsageError(f"cannot write '{path}' on the state branch: not a record path")
    return path
