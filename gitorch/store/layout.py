"""Where things live on the state branch (pure functions: names and paths, no git).

    gitorch-state.json                  format marker: {"format", "schema_version", ...}
    README.md                           generated summary of the latest runs
    sessions/<yyyy-mm>/<dd>/<h>/<h>/<session>/<ff>/<segment>.jsonl
                                        event segments: immutable, uniquely named from
                                        their event ids; the month, then the day the
                                        session started, its sessions fanned out 16 x 16 by
                                        a hash of the session id, a session's segments by a
                                        hash of the name (older branches hold
                                        sessions/<day>/[<hh>/]<session>/<ff>/...: still read;
                                        readers take the session third from the end)
    runs/<run>.json                     one summary per run (start, end, status) and its
                                        index: the session folders holding its events
    index.json                          the seal of that index: which sessions/ and runs/
                                        trees it describes (store/runindex.py)
    recent.json                         what the seal knows of the runs (the latest outcome
                                        times of the RECENT_RUNS greatest, the README's
                                        lines), rewritten only when they change
    plans/<digest>.json                 each plan a run used, by its digest
    watch.json                          each task's last pass (the hooks read it)
    passes.json                         watch.json's passes alone and its blob id (a run's start)
    TASKS.md                            the dashboard of the latest run
    config.toml                         the repository's settings (`config set --repo`)
    logs/<run>/<task>/<n>-<label>.log   command output the runner kept
    workspace/{desired,base,leftovers}.json, workspace/plans/<id>.json,
    workspace/snapshots/<id>.json       the workspace's records
    migrations/<id>.json, legacy/<id>/<path>
                                        migration records and the legacy files they kept
    discovery/{intents,forge,index}/..., discovery/graph.json
                                        discovery's records

Every path on the branch is named here and nowhere else; owners write theirs via
append(files=).

An append writes one segment and rewrites only the trees on its path, whose sizes are
bounded (a month per year, 31 days a month, 16 x 16 buckets a day, a few sessions per
bucket, 256 buckets per session), so it costs the same at 100 events as at 100,000,
whether they came from one session or from 1,000 a day. Names derive from content, so
two clones merge by plain union.
"""

import functools
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

import msgspec

from gitorch import digests
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.events import Event

SCHEMA_VERSION = 1  # what a new branch's marker says (and runs/<run>.json)
# A branch that holds `tasks_skipped` events says 2: a gitorch older than that event would
# read the runs that wrote it as leaving their tasks pending, so it refuses the branch (exit 5)
# instead, as it refuses any newer marker. The marker is raised by the commit that writes the
# first such event (store/state.py) and by a merge with a branch that has it (store/sync.py).
COMPACT_SKIPS_SCHEMA = 2
READS_SCHEMA = COMPACT_SKIPS_SCHEMA  # the newest marker this gitorch reads and writes
FORMAT = "gitorch-state"
MARKER = "gitorch-state.json"
README = "README.md"
INDEX = "index.json"
RECENT = "recent.json"  # the seal's runs part, apart so an append that changes no run keeps it
RECENT_RUNS = 64  # recent.json's lasts: this many runs, the greatest (last, run) (keeps it O(1))
SESSIONS = "sessions"
RUNS = "runs"
README_RUNS = 50  # the README lists this many of the latest runs (keeps it O(1))
PLANS = "plans"
WATCH = "watch.json"
PASSES = "passes.json"  # watch.json's passes alone (engine/watch.py), for a run's start
DASHBOARD = "TASKS.md"
REPO_CONFIG = "config.toml"
LOGS = "logs"
WORKSPACE = "workspace"
WORKSPACE_DESIRED = f"{WORKSPACE}/desired.json"
WORKSPACE_BASE = f"{WORKSPACE}/base.json"
WORKSPACE_LEFTOVERS = f"{WORKSPACE}/leftovers.json"
MIGRATIONS = "migrations"
LEGACY_COPIES = "legacy"
DISCOVERY = "discovery"
DISCOVERY_INTENTS = f"{DISCOVERY}/intents"
DISCOVERY_FORGE = f"{DISCOVERY}/forge"
DISCOVERY_INDEX = f"{DISCOVERY}/index"
DISCOVERY_GRAPH = f"{DISCOVERY}/graph.json"

_SESSION_RE = re.compile(r"^s-([0-9a-f]{12})-")


class Marker(msgspec.Struct, kw_only=True):
    """The format marker at the root of the branch."""

    format: str = FORMAT
    schema_version: int = SCHEMA_VERSION
    created: str = ""
    gitorch: str = ""


class RunIndex(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Where a run's events are, so one run is read without the others (store/runindex.py)."""

    folders: list[str] = []  # session folders under sessions/ holding its events
    first: str = ""  # earliest ts of the events a fold counts ("": none); gitorch's form
    last: str = ""  # latest ts of its run-level and outcome events
    launch: list[str] = []  # [ts, id, plan_file] of its latest run_started naming a plan file
    exact: bool = True  # False: a timestamp not in gitorch's form (readers read everything)


class RunLine(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What README.md shows of a run: its summary without the task states."""

    run: str
    plan_digest: str = ""
    plan_file: str = ""
    started: str = ""
    ended: str = ""
    status: str = "running"
    failures: list[str] = []


class Seal(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`index.json`: the trees the run index describes; any other writer changes them.

    Its runs part (`lasts`, `readme`) is kept in `recent.json`, named by `recent`, so that
    the seal every append rewrites stays small whatever the number of runs; a seal from
    before recent.json holds them itself (every run's last). Read in memory (runindex.read_seal),
    a seal carries recent.json's lasts, readme and `older`."""

    version: int = 1
    sessions: str = ""  # the sessions/ tree ("": none)
    runs: str = ""  # the runs/ tree
    loose: list[str] = []  # folders with approvals, or outcomes that name no run
    latest: list[str] = []  # [first, run] of the run a fold shows last (the greatest)
    launch: list[str] = []  # the greatest of the runs' launches ([ts, id, plan_file])
    exact: bool = True  # False: some run's index is not exact (readers read everything)
    # run -> its index's last (None: not known). Written here by gitorch before recent.json
    # (every run); in memory, recent.json's (the RECENT_RUNS greatest when `older`).
    lasts: dict[str, str] | None = None
    # README.md's runs: the lines of the README_RUNS greatest run ids (None: not known)
    readme: list[RunLine] | None = None
    recent: str = ""  # the blob id of the recent.json holding lasts and readme ("": none)
    older: bool = False  # in memory: runs beyond `lasts` exist, each with a smaller (last, run)


class Recent(msgspec.Struct, kw_only=True, omit_defaults=True):
    """`recent.json`: the seal's runs part. `lasts` holds every run's last outcome time while
    there are at most RECENT_RUNS runs, then the RECENT_RUNS greatest (last, run) and
    `older` is true: every other run's (last, run) is smaller than all of them, so a reader
    walking runs by their last outcome, newest first, needs the other summaries only past them."""

    lasts: dict[str, str] = {}
    older: bool = False
    readme: list[RunLine] = []


T = TypeVar("T")


class _KeptJson(Generic[T]):
    """JSON documents of one struct type, the latest few kept decoded under their bytes,
    with those `encode` made: every append reads back the seal the previous one wrote.
    Callers treat what `decode` gives as read-only (msgspec.structs.replace)."""

    def __init__(self, kind: type[T]) -> None:
        self.kind = kind
        self.kept: dict[bytes, T] = {}

    def decode(self, data: bytes) -> T:
        """`data` decoded (msgspec's errors as they come)."""
        found = self.kept.get(data)
        if found is None:
            found = msgspec.json.decode(data, type=self.kind)
            self._keep(data, found)
        return found

    def encode(self, value: T) -> bytes:
        """`value`'s bytes, which `decode` then gives back without decoding."""
        data = msgspec.json.encode(value) + b"\n"
        self._keep(data, value)
        return data

    def _keep(self, data: bytes, value: T) -> None:
        if len(self.kept) >= 8:
            self.kept.clear()
        self.kept[data] = value


_RECENT_JSON, _SEAL_JSON = _KeptJson(Recent), _KeptJson(Seal)
decode_recent, encode_recent = _RECENT_JSON.decode, _RECENT_JSON.encode  # recent.json
decode_seal, encode_seal = _SEAL_JSON.decode, _SEAL_JSON.encode  # index.json


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
    tasks: dict[str, str] = {}  # each task's latest outcome in the run (completed, failed, …)
    index: RunIndex | None = None  # None: written by a gitorch before the index


@functools.lru_cache(maxsize=4096)  # the same run and session names, every append
def safe_name(text: str) -> str:
    """A path component made of safe characters (session and run ids come from users)."""
    if (len(text) <= 120 and text[:1] != "." and text[-1:] != "."
            and text.replace("-", "").replace("_", "").replace(".", "").replace("@", "").isalnum()):
        return text  # safe already (gitorch's own ids): no walk over its characters
    out = "".join(c if c.isalnum() or c in "-_.@" else "_" for c in text).strip(".")
    return out[:120] or "_"


@functools.lru_cache(maxsize=1024)
def session_day(session: str) -> str:
    """The UTC day a session started, from its id (`s-<ms hex>-<pid>`), else 'undated'."""
    m = _SESSION_RE.match(session)
    if not m:
        return "undated"
    ms = int(m.group(1), 16)
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def segment_name(events: "Sequence[Event]") -> str:
    """A unique, deterministic name: the first event id plus a digest of all ids."""
    ids = sorted(map(attrgetter("id"), events))
    digest = digests.sha1("\n".join(ids).encode()).hexdigest()
    return f"{safe_name(ids[0])}-{digest[:12]}.jsonl"


def segment_path(session: str, name: str) -> str:
    """`sessions/<yyyy-mm>/<dd>/<h>/<h>/<session>/<ff>/<name>` (`sessions/undated/<h>/<h>/…`
    for a custom session id): the session folder is always third from the end (readers rely
    on it; older branches hold `<day>/[<hh>/]<session>`). Every tree on the path stays
    small: an append rewrites each of them, so their sizes are its cost."""
    safe = safe_name(session)
    fan = digests.sha1(safe.encode()).hexdigest()
    bucket = digests.sha1(name.encode()).hexdigest()[:2]
    day = session_day(session)
    dated = f"{day[:7]}/{day[8:]}" if day != "undated" else day
    return f"{SESSIONS}/{dated}/{fan[0]}/{fan[1]}/{safe}/{bucket}/{name}"


@functools.lru_cache(maxsize=4096)  # called per event (summaries, the run index): once per run
def run_path(run: str) -> str:
    return f"{RUNS}/{safe_name(run)}.json"


def check_path(path: str) -> str:
    """A record path callers may write: relative, no `..`, not the marker, the index and its
    recent.json, sessions/ or runs/ (the store writes those with the events they describe)."""
    parts = path.split("/")
    if (
        not path
        or path.startswith("/")
        or any(p in ("", ".", "..", ".git") for p in parts)
        or path in (MARKER, INDEX, RECENT)
        or parts[0] in (SESSIONS, RUNS)
    ):
        raise UsageError(f"cannot write '{path}' on the state branch: not a record path")
    return path


def plan_path(digest: str) -> str:
    """The plan a run used, recorded by its digest."""
    return f"{PLANS}/{digest}.json"


_LOG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _log_part(name: str) -> str:
    return _LOG_UNSAFE.sub("_", name) or "_"


def log_path(run: str, task: str, n: int, label: str) -> str:
    """Output of a task's `n`th command (`label` names it) in `run`."""
    return f"{LOGS}/{_log_part(run)}/{_log_part(task)}/{n}-{_log_part(label)}.log"


PATCHES = "patches"


def patch_path(run: str, task: str, attempt: int | str) -> str:
    """The diff an agent's edit step made in attempt `attempt` of `task` in `run` ("held":
    the whole passing change, held for the apply_patch gate)."""
    return f"{PATCHES}/{_log_part(run)}/{_log_part(task)}/{attempt}.diff"


def workspace_plan_path(plan_id: str) -> str:
    return f"{WORKSPACE}/plans/{plan_id}.json"


def workspace_snapshot_path(snapshot_id: str) -> str:
    return f"{WORKSPACE}/snapshots/{snapshot_id}.json"


def migration_path(migration_id: str) -> str:
    return f"{MIGRATIONS}/{migration_id}.json"


def legacy_copy_path(migration_id: str, original: str) -> str:
    """Where a migration keeps the bytes of a legacy file it imported."""
    return f"{LEGACY_COPIES}/{migration_id}/{original}"


def discovery_intent_path(intent_id: str) -> str:
    return f"{DISCOVERY_INTENTS}/{intent_id}.json"


def discovery_forge_path(repo: str) -> str:
    return f"{DISCOVERY_FORGE}/{repo}.json"


def discovery_index_path(index: str, name: str) -> str:
    # npm scopes contain a slash; keep one file per package
    return f"{DISCOVERY_INDEX}/{index}/{name.replace('/', '%2F')}.json"




class Recorded(NamedTuple, Generic[T]):
    """A record read from the branch: its value, or None and why ("missing", "unreadable")."""

    value: T | None
    problem: str = ""


def read_recorded_plan(read: Callable[[str], bytes | None], digest: str, kind: type[T]) -> Recorded[T]:
    """The plan recorded as `digest`, decoded as `kind` (the caller's plan type: the store
    knows no plans); a missing digest, record or an undecodable one is reported, not raised,
    so callers fall back (e.g. "the old plan is not recorded") instead of failing a run."""
    if not digest:
        return Recorded(None, "missing")
    raw = read(plan_path(digest))
    if raw is None:
        return Recorded(None, "missing")
    try:
        return Recorded(msgspec.json.decode(raw, type=kind))
    except msgspec.DecodeError:  # also msgspec.ValidationError
        return Recorded(None, "unreadable")
