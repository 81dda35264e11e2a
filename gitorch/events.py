"""Every event gitorch records: one tagged union (`type` is the tag).

Events are immutable and uniquely named (`id`), so logs written in different clones merge
as a plain union. New fields always get defaults so old records still decode; a reader
that meets an unknown `type` (written by a newer gitorch) keeps it as `UnknownEvent`.

The store knows events only as this union; views are pure functions of lists of them.
"""

# No `from __future__ import annotations` (as plan/model): msgspec reads these Structs' field
# types when it first decodes an event, and a string annotation costs a typing.ForwardRef
# each (~330 of them) plus the process's first compile(): ~28 M instructions of `git orch status`.
from collections.abc import Iterable
from typing import Any, get_args

import msgspec

from gitorch.ids import new_id, now, session

EVENT_SCHEMA_VERSION = 1

# Re-exported: ids, timestamps and session ids live in a stdlib-only module the hooks share.
default_session = session


class Event(msgspec.Struct, tag_field="type", kw_only=True, frozen=True, omit_defaults=True):
    """Fields every event has."""

    id: str = msgspec.field(default_factory=new_id)
    ts: str = msgspec.field(default_factory=now)
    schema_version: int = EVENT_SCHEMA_VERSION
    session: str = msgspec.field(default_factory=default_session)
    run: str | None = None
    task: str | None = None
    shard: str | None = None


# --- plans and runs ---------------------------------------------------------------

class PlanValidated(Event, tag="plan_validated", frozen=True):
    digest: str = ""
    file: str = ""
    tasks: int = 0


class PlanUpdated(Event, tag="plan_updated", frozen=True):
    digest: str = ""
    previous_digest: str = ""
    changes: list[str] = []


class RunStarted(Event, tag="run_started", frozen=True):
    plan_digest: str = ""
    plan_file: str = ""
    commit: str | None = None  # HEAD the run verifies
    targets: list[str] = []  # requested task ids; empty means all
    jobs: int = 1
    argv: list[str] = []
    # what was verified when the work tree differs from HEAD: the tree (HEAD's plus the
    # uncommitted changes, in the object database) and how many files differ; None/0: HEAD's
    tree: str | None = None
    dirty: int = 0


class Resumed(Event, tag="resumed", frozen=True):
    reason: str = ""
    tree: str | None = None  # as RunStarted: the tree this session verifies when dirty
    dirty: int = 0


class Interrupted(Event, tag="interrupted", frozen=True):
    reason: str = ""


class Completed(Event, tag="completed", frozen=True):
    """The run ended (whatever the outcome; `status` says which)."""

    status: str = "completed"  # completed | failed | paused | interrupted
    failures: list[str] = []
    duration: float = 0.0


# --- tasks and shards ---------------------------------------------------------------

class TaskStarted(Event, tag="task_started", frozen=True):
    attempt: int = 1
    inputs: str | None = None  # digest of the task's definition and input object ids


class TaskCompleted(Event, tag="task_completed", frozen=True):
    duration: float = 0.0
    inputs: str | None = None


class TaskFailed(Event, tag="task_failed", frozen=True):
    reason: str = ""
    duration: float = 0.0


class TaskBlocked(Event, tag="task_blocked", frozen=True):
    blocked_by: list[str] = []


class TaskWaiting(Event, tag="task_waiting", frozen=True):
    """A manual/agent task (no commands) whose acceptance does not pass yet."""

    reason: str = ""


class Skipped(Event, tag="skipped", frozen=True):
    reason: str = ""


class TasksSkipped(Event, tag="tasks_skipped", frozen=True):
    """Several tasks of a run skipped at once, in this order, all for `reason`: it says what
    one `skipped` event per task would say (`expand`). A run whose tasks are all unchanged
    since their recorded passes writes one per stretch of tasks with the same reason instead
    of one `skipped` per task. `task` and `shard` are None."""

    tasks: list[str] = []
    reason: str = ""


class ShardStarted(Event, tag="shard_started", frozen=True):
    pass


class ShardCompleted(Event, tag="shard_completed", frozen=True):
    duration: float = 0.0


class CommandRun(Event, tag="command_run", frozen=True):
    name: str = ""  # the command's key in the task's `commands`
    cmd: str = ""
    status: int | None = None  # exit code; None when it could not start or was killed
    duration: float = 0.0
    attempt: int = 1
    excerpt: str = ""  # bounded tail of the output, secrets redacted
    log: str | None = None  # path of the full output on the state branch
    timed_out: bool = False


class AcceptancePassed(Event, tag="acceptance_passed", frozen=True):
    check: str = ""
    evidence: dict[str, Any] = {}


class AcceptanceFailed(Event, tag="acceptance_failed", frozen=True):
    check: str = ""
    evidence: dict[str, Any] = {}


class PatchApplied(Event, tag="patch_applied", frozen=True):
    """An agent's edit step changed the work tree (one event per attempt)."""

    paths: list[str] = []
    attempt: int = 1
    added: int = 0  # lines
    removed: int = 0
    tree: str | None = None  # the work tree after the attempt, as a git tree id
    diff: str | None = None  # the patch on the state branch (None: no change)
    reverted: list[str] = []  # forbidden paths the agent changed, put back
    # edit: an attempt's change; held: the passing change, kept for the apply_patch gate;
    # applied: that held change, applied to the work tree after approval
    stage: str = "edit"


# --- gates ---------------------------------------------------------------------------

class AwaitingApproval(Event, tag="awaiting_approval", frozen=True):
    gate: str = ""


class Approved(Event, tag="approved", frozen=True):
    gate: str = ""
    by: str = ""
    plan_digest: str = ""
    commit: str | None = None
    inputs: str | None = None


# --- observation, workspaces, discovery, migration -----------------------------------

class Observed(Event, tag="observed", frozen=True):
    trigger: str = ""  # post-checkout | post-merge | post-rewrite | manual
    drift: bool = False
    findings: list[str] = []


class WorkspaceTransition(Event, tag="ws_transition", frozen=True):
    plan_id: str = ""
    state: str = ""  # draft | planned | verified | executing | committed | rolled_back | failed
    detail: str = ""
    operation: int | None = None


class TaskRepo(Event, tag="task_repo", frozen=True):
    """A cross-repository task ran in `repo` (checked out at `path`) on `commit`."""

    repo: str = ""
    path: str = ""
    commit: str | None = None


class ConfigChanged(Event, tag="config_changed", frozen=True):
    """`config set|unset --repo` changed `config.toml` on the state branch."""

    key: str = ""  # the setting, or "--all" when the whole file was removed
    action: str = ""  # set | unset


class EphemeralCreated(Event, tag="ws_ephemeral_created", frozen=True):
    name: str = ""
    repos: list[str] = []
    ttl: float = 0.0  # seconds until it expires


class EphemeralRemoved(Event, tag="ws_ephemeral_removed", frozen=True):
    names: list[str] = []


class IntentRecorded(Event, tag="intent_recorded", frozen=True):
    intent: str = ""  # the intent's id (its record is discovery/intents/<id>.json)
    capabilities: list[str] = []
    targets: list[str] = []


class DiscoverySynced(Event, tag="discovery_synced", frozen=True):
    """A discovery read forges and package indexes; what it asked and what it cost."""

    repos: list[str] = []
    packages: list[str] = []  # "<ecosystem>:<name>"
    offline: bool = False
    requests: int = 0
    not_modified: int = 0
    bytes: int = 0
    retries: int = 0


class Migrated(Event, tag="migrated", frozen=True):
    source: str = ""
    files: list[str] = []


class LegacyRemoved(Event, tag="legacy_removed", frozen=True):
    """`migrate --remove-legacy` removed these legacy files (all were imported unchanged)."""

    files: list[str] = []


class MigrationRolledBack(Event, tag="migration_rolled_back", frozen=True):
    migration: str = ""
    commit: str = ""  # the migration's commit that was reverted


class LegacyRecord(Event, tag="note", frozen=True):
    """A record imported from a legacy tool and kept whole: `kind` says what it was there
    (e.g. "legacy:phase_advanced", "legacy_checkpoint"), `data` is the record itself.

    Its tag is "note", the old catch-all type: notes gitorch itself wrote before its typed
    events existed (kind "config", "task_repo", ...) decode as those typed events."""

    kind: str = ""
    data: dict[str, Any] = {}


Generic = LegacyRecord  # the old name, for callers not yet renamed (migrate/)


class UnknownEvent(Event, tag="unknown", frozen=True):
    """An event of a type this gitorch does not know (written by a newer one); kept raw."""

    original_type: str = ""
    raw: dict[str, Any] = {}


AnyEvent = (
    PlanValidated | PlanUpdated | RunStarted | Resumed | Interrupted | Completed
    | TaskStarted | TaskCompleted | TaskFailed | TaskBlocked | TaskWaiting | Skipped | TasksSkipped
    | ShardStarted | ShardCompleted | CommandRun | AcceptancePassed | AcceptanceFailed
    | PatchApplied | AwaitingApproval | Approved | Observed | WorkspaceTransition | TaskRepo
    | ConfigChanged | EphemeralCreated | EphemeralRemoved | IntentRecorded | DiscoverySynced
    | Migrated | LegacyRemoved | MigrationRolledBack | LegacyRecord | UnknownEvent
)

# The `kind` of a note gitorch wrote before these types existed -> the type it is now.
_NOTE_KINDS: dict[str, type[Event]] = {
    "task_repo": TaskRepo, "config": ConfigChanged, "ws_ephemeral_created": EphemeralCreated,
    "ws_ephemeral_removed": EphemeralRemoved, "intent_recorded": IntentRecorded,
    "discovery_synced": DiscoverySynced, "legacy_removed": LegacyRemoved,
    "migration_rolled_back": MigrationRolledBack,
}
_BASE_FIELDS = ("id", "ts", "schema_version", "session", "run", "task", "shard")

# Every `type` tag this gitorch knows ("unknown" included).
EVENT_TYPES: frozenset[str] = frozenset(str(t.__struct_config__.tag) for t in get_args(AnyEvent))

# Built when first needed (~25M instructions for the union): a run that reads no event
# (a re-run on watch.json's passes) never builds it.
_decoders: list[msgspec.json.Decoder[Any]] = []
_encoder = msgspec.json.Encoder()
_raw_decoder = msgspec.json.Decoder(dict[str, Any])


def type_of(event: Event) -> str:
    """The event's `type` tag, e.g. "task_completed"."""
    return str(type(event).__struct_config__.tag)


def encode(event: Event) -> bytes:
    return _encoder.encode(event)


def encode_lines(events: list[Event] | tuple[Event, ...]) -> bytes:
    """Events as JSONL (one event per line, trailing newline)."""
    return _encoder.encode_lines(events)  # one call: the same bytes as joining encode() + b"\n"


def _typed_note(note: LegacyRecord) -> Event:
    """An old note as the typed event it stands for (the note itself when its data does not
    fit: a record is never lost for being odd)."""
    kind = _NOTE_KINDS.get(note.kind)
    if kind is None:
        return note
    fields = {**note.data, **{f: getattr(note, f) for f in _BASE_FIELDS}}
    try:
        return msgspec.convert(fields, kind, strict=False)
    except msgspec.ValidationError:
        return note


def _typed_decoder() -> msgspec.json.Decoder[Any]:
    _decoders.append(msgspec.json.Decoder(AnyEvent))
    return _decoders[0]


def decode(line: bytes) -> Event:
    """One event; a valid JSON object of an unknown type becomes UnknownEvent, and an old
    note of a kind that has a type now becomes that type."""
    try:
        event = (_decoders[0] if _decoders else _typed_decoder()).decode(line)
        return _typed_note(event) if type(event) is LegacyRecord else event
    except msgspec.ValidationError:
        raw = _raw_decoder.decode(line)
        base = {k: raw[k] for k in ("id", "ts", "session", "run", "task", "shard") if k in raw}
        return UnknownEvent(original_type=str(raw.get("type")), raw=raw, **base)


def decode_lines(data: bytes) -> list[Event]:
    """Decode JSONL; raises msgspec.DecodeError on a line that is not JSON."""
    return [decode(line) for line in data.splitlines() if line.strip()]


def expand(event: TasksSkipped) -> list[Skipped]:
    """The `skipped` event of each task a `tasks_skipped` names, in its order: same run, time,
    session and reason; ids the compact event's id with the task's place (unique, in order)."""
    ts, session, run, reason, version = event.ts, event.session, event.run, event.reason, event.schema_version
    return [Skipped(id=f"{event.id}.{_place(n)}", ts=ts, session=session, run=run, task=tid, reason=reason,
                    schema_version=version) for n, tid in enumerate(event.tasks)]


def _place(n: int) -> str:
    """A task's place in a `tasks_skipped` as id text that sorts as the places do: five digits
    (the ids readers have always seen), then "~" and nineteen digits, which sort after every
    five-digit place ("~" follows the digits) and among themselves by number."""
    return f"{n:05d}" if n < 100_000 else f"~{n:019d}"


def expanded(events: Iterable[Event]) -> list[Event]:
    """`events` with every `tasks_skipped` replaced by its `skipped` events (`expand`), for
    readers that look at one task's events one by one."""
    out: list[Event] = []
    for e in events:
        if type(e) is TasksSkipped:
            out.extend(expand(e))
        else:
            out.append(e)
    return out


def to_builtins(event: Event) -> dict[str, Any]:
    out = msgspec.to_builtins(event)
    assert isinstance(out, dict)
    return out
