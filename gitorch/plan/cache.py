"""A machine-local cache of validated plans, under the git directory (`Repo.scratch`).

Parsing YAML dominates loading a large plan (libyaml builds Python objects for every node),
and every `git orch` command loads the plan. A valid plan is stored once, normalized, keyed
by the plan file's path; it is used again only while the main file's bytes, every included
file's bytes, every include glob's matches and gitorch's plan code are all unchanged.
Invalid plans are never cached, so their errors are always computed afresh.
`GITORCH_PLAN_CACHE=0` switches the cache off.
"""

# No `from __future__ import annotations` (as plan/model): msgspec reads Entry's field types
# once a process, to decode a hit, without evaluating strings.
import os
import zlib
from collections.abc import Iterable
from pathlib import Path

import msgspec

from gitorch import __version__, digests
from gitorch.plan.model import Plan

_SCHEMA = 2  # 2: the entry follows a checksum of it (see `store`)
_SUM_LEN = 8  # hex digits of the entry's Adler-32, before it


class GlobUse(msgspec.Struct, frozen=True):
    directory: str
    pattern: str
    matches: list[str]


class Entry(msgspec.Struct, frozen=True):
    """One cached plan and what it was made from."""

    code: str  # gitorch version and plan code stamp
    files: list[tuple[str, str]]  # (path, sha256 of its bytes): the main file first
    globs: list[GlobUse]
    plan: Plan
    digest: str
    root: str
    order: list[list[str]] = []  # graph.order(plan), so a cached plan needs no graphlib pass
    schema: int = _SCHEMA
    # the main file's bytes (files[0]): a hit compares them instead of hashing the file again
    # (SHA-256 of a 1,000-task plan: ~4 M instructions, ~1 ms of every command); b"": hashed
    main: bytes = b""


def enabled() -> bool:
    return os.environ.get("GITORCH_PLAN_CACHE", "1") not in ("0", "false", "no", "off")


def file_hash(data: bytes) -> str:
    return digests.sha256(data).hexdigest()


def code_stamp() -> str:
    """Changes whenever gitorch or its plan code changes (an edited checkout included)."""
    here = Path(__file__).parent
    try:  # what here.glob("*.py") lists, without compiling a pattern (fnmatch and re): no folder
        names = sorted(name for name in os.listdir(here) if name.endswith(".py"))  # in a zip: none
    except OSError:
        names = []
    parts = [__version__, str(_SCHEMA), *file_stamps(here / name for name in names)]
    return digests.sha256("\n".join(parts).encode()).hexdigest()[:16]


def file_stamps(paths: Iterable[Path]) -> list[str]:
    """`name:size:mtime` of each of `paths` (gitorch's code), or of the zip gitorch was
    imported from instead (orch.pyz's first start: its modules have no files of their own).
    Also the inputs cache's code stamp (engine/inputcache.py)."""
    archive = getattr(__spec__.loader, "archive", None)
    out = []
    for path in [Path(archive)] if archive else paths:
        st = path.stat()
        out.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return out


def _slot(scratch: Path, main: Path) -> Path:
    name = digests.sha256(str(main).encode()).hexdigest()[:24]
    return scratch / "plan-cache" / f"{name}.msgpack"


def lookup(scratch: Path, main: Path, main_bytes: bytes) -> Entry | None:
    """The cached entry for `main` when nothing it was made from has changed, else None."""
    try:
        raw = _slot(scratch, main).read_bytes()
        body = memoryview(raw)[_SUM_LEN:]
        if raw[:_SUM_LEN] != _checksum(body):
            return None  # damaged (a page a power cut left unwritten may still decode)
        entry = msgspec.msgpack.decode(body, type=Entry)
    except (OSError, msgspec.DecodeError):
        return None
    if entry.schema != _SCHEMA or entry.code != code_stamp():
        return None
    if not entry.files or entry.files[0][0] != str(main):
        return None
    same = entry.main == main_bytes if entry.main else entry.files[0][1] == file_hash(main_bytes)
    if not same:
        return None
    for path, digest in entry.files[1:]:
        try:
            if file_hash(Path(path).read_bytes()) != digest:
                return None
        except OSError:
            return None
    for use in entry.globs:
        found = [str(p) for p in sorted(Path(use.directory).glob(use.pattern)) if p.is_file()]
        if found != use.matches:
            return None
    return entry


def _checksum(data: bytes | memoryview) -> bytes:
    return b"%08x" % zlib.adler32(data)


def store(scratch: Path, main: Path, entry: Entry) -> None:
    """Write `entry` atomically; a cache that cannot be written is simply not used."""
    from gitorch import atomic  # a miss only: a hit (every re-run) writes nothing

    slot = _slot(scratch, main)
    try:
        slot.parent.mkdir(parents=True, exist_ok=True)
        # no fsync (gitorch/atomic): an entry a power cut left short or with pages unwritten
        # (zeroed) fails its checksum, a miss; zeros inside a long string would still decode
        body = msgspec.msgpack.encode(entry)
        atomic.write_bytes(slot, _checksum(body) + body, durable=False)
    except OSError:
        pass
