"""The snapshot's parts as plain records, for the hot path (`ws snapshot`): standard library only.

workspace/model.py is the definition (msgspec Structs: stored records, decoding, schema,
everything that reads a snapshot); importing msgspec costs about 66 ms of every `ws
snapshot` (typing, inspect, uuid, datetime, decimal come with it), where the whole command
should take a few tens. So the snapshot is computed into these records, which have the
model's fields in the model's order with the model's defaults (a test compares them field
by field), and written as JSON by the standard library's C encoder: `canonical` gives the
bytes msgspec's deterministic encoder gives for the same model (struct fields in order, dict
keys sorted). `snapshot.take` converts a record into the model for everyone else.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    R = TypeVar("R", bound="Record")

try:  # CPython's own SHA-256 (3.11: _sha256, 3.12+: _sha2): hashlib's digest without loading
    from _sha256 import sha256 as _sha256  # OpenSSL, about 5 ms of every `ws snapshot`
except ImportError:  # pragma: no cover - another interpreter or version
    try:
        from _sha2 import sha256 as _sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        from hashlib import sha256 as _sha256  # type: ignore[assignment]

SNAPSHOT_SCHEMA_VERSION = 2  # upgrades from older versions: workspace/upgrade.py
MAX_CHANGED = 200  # a snapshot names at most this many changed paths per repo
_REQUIRED = object()


class Record:
    """A frozen record: keyword construction, the model's defaults, equality, `replace`."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            value = values.pop(name, _REQUIRED)
            if value is _REQUIRED:
                value = self._defaults.get(name, _REQUIRED)
                if value is _REQUIRED:
                    raise TypeError(f"{type(self).__name__}: missing required field {name!r}")
                if isinstance(value, list | dict):
                    value = type(value)(value)  # a fresh list or dict, as msgspec copies []/{}
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unexpected field {sorted(values)[0]!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def replace(self: R, **changes: Any) -> R:
        """A copy with `changes` (as msgspec.structs.replace)."""
        return type(self)(**{**{n: getattr(self, n) for n in self.__slots__}, **changes})


class Provided(Record):
    __slots__ = ("ecosystem", "name", "file", "dir")
    _defaults = {"dir": ""}
    ecosystem: str
    name: str
    file: str
    dir: str


class SnapshotRepo(Record):
    __slots__ = ("name", "path", "exists", "manifests", "provides", "languages", "capabilities", "url", "ref")
    _defaults = {"manifests": [], "provides": [], "languages": [], "capabilities": [], "url": None,
                 "ref": None}
    name: str
    path: str
    exists: bool
    manifests: list[str]
    provides: list[Provided]
    languages: list[str]
    capabilities: list[str]
    url: str | None
    ref: str | None


class GitState(Record):
    __slots__ = ("repo", "branch", "sha", "upstream", "ahead", "behind", "dirty", "changed", "changed_total",
                 "conflicts", "in_progress")
    _defaults = {"branch": None, "sha": None, "upstream": None, "ahead": 0, "behind": 0, "dirty": False,
                 "changed": [], "changed_total": 0, "conflicts": [], "in_progress": None}
    repo: str
    branch: str | None
    sha: str | None
    upstream: str | None
    ahead: int
    behind: int
    dirty: bool
    changed: list[str]
    changed_total: int
    conflicts: list[str]
    in_progress: str | None


class Dependency(Record):
    __slots__ = ("repo", "ecosystem", "name", "raw", "source", "path", "file", "section")
    _defaults = {"source": "registry", "path": None, "file": "", "section": ""}
    repo: str
    ecosystem: str
    name: str
    raw: str
    source: str
    path: str | None
    file: str
    section: str


class LinkHashes(Record):
    __slots__ = ("before", "after")
    _defaults = {"before": "", "after": ""}
    before: str
    after: str


class Link(Record):
    __slots__ = ("repo", "dep", "provider", "ecosystem", "file", "path", "hashes", "preimage", "replacement",
                 "offset", "seq")
    _defaults = {"path": "", "hashes": LinkHashes(), "preimage": "", "replacement": "", "offset": 0, "seq": 0}
    repo: str
    dep: str
    provider: str
    ecosystem: str
    file: str
    path: str
    hashes: LinkHashes
    preimage: str
    replacement: str
    offset: int
    seq: int

    @property
    def key(self) -> str:
        return f"{self.repo}/{self.provider}"


class FileState(Record):
    __slots__ = ("repo", "file", "sha256")
    repo: str
    file: str
    sha256: str


class Topology(Record):
    __slots__ = ("consumers", "providers", "order", "cycles", "cyclic")
    _defaults = {"consumers": {}, "providers": {}, "order": [], "cycles": [], "cyclic": False}
    consumers: dict[str, list[str]]
    providers: dict[str, list[str]]
    order: list[str]
    cycles: list[list[str]]
    cyclic: bool


class Diagnostic(Record):
    __slots__ = ("severity", "repo", "kind", "message")
    severity: str
    repo: str | None
    kind: str
    message: str


ENRICHMENT = ("github", "pypi", "npm", "crates", "hex")  # the parts `ws snapshot` attaches after the id


class Snapshot(Record):
    __slots__ = ("id", "schema_version", "root", "generated_at", "manifest", "repos", "git", "deps", "links",
                 "files", "topology", "diagnostics", *ENRICHMENT)
    _defaults = {"schema_version": SNAPSHOT_SCHEMA_VERSION, "root": "", "generated_at": "", "manifest": None,
                 "repos": [], "git": [], "deps": [], "links": [], "files": [], "topology": Topology(),
                 "diagnostics": [], **dict.fromkeys(ENRICHMENT)}
    id: str
    schema_version: int
    root: str
    generated_at: str
    manifest: str | None
    repos: list[SnapshotRepo]
    git: list[GitState]
    deps: list[Dependency]
    links: list[Link]
    files: list[FileState]
    topology: Topology
    diagnostics: list[Diagnostic]
    github: dict[str, Any] | None
    pypi: dict[str, Any] | None
    npm: dict[str, Any] | None
    crates: dict[str, Any] | None
    hex: dict[str, Any] | None

    def git_of(self, name: str) -> GitState | None:
        return next((g for g in self.git if g.repo == name), None)


_LEAVES = frozenset({str, int, bool, float, type(None)})  # exactly these types (not subclasses)


def plain(obj: Any) -> Any:
    """`obj` as JSON data in msgspec's deterministic order: a record or a msgspec Struct
    becomes a dict of its fields in order, a dict's keys are sorted."""
    if type(obj) in _LEAVES:  # most of a snapshot's values: returned as the last line would
        return obj
    fields = getattr(type(obj), "__struct_fields__", None) if not isinstance(obj, Record) else obj.__slots__
    if fields is not None:
        return {name: plain(getattr(obj, name)) for name in fields}
    if isinstance(obj, dict):
        return {key: plain(obj[key]) for key in sorted(obj)}
    if isinstance(obj, list | tuple):
        return [plain(item) for item in obj]
    return obj


def canonical(obj: Any) -> bytes:
    """The JSON bytes msgspec's deterministic encoder gives for `obj` (no floats in a
    snapshot's own parts: the enriched ones, which may hold some, are encoded by msgspec)."""
    if obj is _stamped[0]:
        return _stamped[1]  # type: ignore[no-any-return]
    return dumps(plain(obj)).encode()


# The snapshot `stamp` made last and its canonical bytes: `ws snapshot --json` writes the
# snapshot it just stamped, whose bytes are the digest's but for the id and the time (the
# second walk over the records was ~2.6 M instructions). Records are frozen; a snapshot
# whose lists were changed after it was stamped would not match its id either.
_stamped: list[Any] = [None, b""]


def stamp(snap: Snapshot, at: str) -> Snapshot:
    """`snap` with its id (`snap-` and 16 hex digits of the digest of its content, with the id
    and the time blank) and the time `at`; its canonical bytes made in the same walk."""
    data = plain(snap)
    data["id"] = data["generated_at"] = ""
    ident = "snap-" + sha256(dumps(data).encode())[:16]
    data["id"], data["generated_at"] = ident, at
    stamped = snap.replace(id=ident, generated_at=at)
    _stamped[:] = [stamped, dumps(data).encode()]
    return stamped


def dumps(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)`, written
    by the C encoder json.dumps itself calls, with the same arguments, without importing
    json (its package loads the decoder and scanner too: ~5M instructions, 4% of `ws snapshot`)."""
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - an interpreter without the C accelerator
        import json

        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if isinstance(data, str):
        return encode_basestring(data)  # type: ignore[no-any-return]
    # (markers for the circular check, default, string encoder, indent, key and item
    # separators, sort_keys, skipkeys, allow_nan): json.encoder.JSONEncoder.iterencode's call
    encode = make_encoder({}, _unserializable, encode_basestring, None, ":", ",", False, False, False)
    return "".join(encode(data, 0))


def _unserializable(obj: Any) -> Any:
    """json.JSONEncoder.default: anything else is refused."""
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def digest(obj: Any) -> str:
    return _sha256(canonical(obj)).hexdigest()


def sha256(data: bytes) -> str:
    return _sha256(data).hexdigest()
