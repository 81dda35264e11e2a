"""The inputs cache: every task's inputs as the last run computed them, used again while
everything they were computed from is the same, so a re-run on an unchanged work tree needs
`git status` alone (no `git ls-files -s`, no matching of paths, no digests).

`compute_inputs` is a function of the task definitions (the plan digest covers them), the
order, the excluded files, and the work tree as git lists it: the index (`ls-files -s`, a
function of the index file's bytes, named by its trailing checksum), what `git status` says
differs from it, and the content of those differing files (hashed afresh every run). The key
holds all of these, and HEAD too. git's status, not a stat cache of ours, decides whether a
file changed, so racy timestamps are git's (it compares the content of a racily clean entry).
Machine-local, under `<git dir>/orch`: the key, an Adler-32 of the body, the body: a column
each of the tasks' ids, digests, dependency digests and untracked files, then their other
fields (parts, paths, oids, tree, exclude) in one blob with each task's end offset, decoded
per task when first read. A cache that cannot be read or written, or whose body does not
match its checksum (a damaged file), is not used; `GITORCH_INPUTS_CACHE=0` switches it off.
"""

from __future__ import annotations

import os
import zlib
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from gitorch import __version__, digests
from gitorch.engine.inputs import TaskInputs

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from gitorch.engine.worktree import StatusView

# 2: a row per task, its file lists kept encoded until read (TaskInputs.deferred);
# 3: the rows' checksum after the key, so a damaged inner row is a miss, not an error at first read;
# 4: columns and one blob of the encoded parts (a lookup skips nothing: -3 M instructions at 1,000 tasks)
_SCHEMA = 4
# the code whose answer is cached (relative to the gitorch package)
_CODE = ("engine/inputs.py", "hooks/jsonlite.py", "engine/worktree.py", "engine/inputcache.py",
         "engine/setup.py", "twins.py")
_KEY_LEN = 64
_SUM_LEN = 8  # Adler-32 in hex: ~0.4 ms for 1,000 tasks' body (sha1 ~0.7, crc32 ~1.5)
# tasks, digests, deps, untracked, the end offset of each task's parts in the blob, the blob
_Body = tuple[list[str], list[str], list[dict[str, str]], list[frozenset[str]], list[int], bytes]
_decoder = msgspec.msgpack.Decoder(_Body)
# a task's parts in the blob: (parts, paths, oids, tree, exclude)
_later = msgspec.msgpack.Decoder(tuple[dict[str, str], list[str], dict[str, str], str, tuple[str, ...]])


def enabled() -> bool:
    return os.environ.get("GITORCH_INPUTS_CACHE", "1") not in ("0", "false", "no", "off")


def index_stamp(git_dir: Path) -> str:
    """The index's identity: its trailing checksum (a hash of everything before it), or a
    hash of the whole file when git skips the checksum (index.skipHash); "-" without one."""
    try:
        with open(git_dir / "index", "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 32:
                return digests.sha256(f.read()).hexdigest()
            f.seek(size - 32)
            tail = f.read(32)
            if tail[-20:] != bytes(20):
                return f"{size}:{tail.hex()}"
            f.seek(0)
            return digests.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return "-"


def _code_stamp() -> str:
    from gitorch.plan.cache import file_stamps

    here = Path(__file__).parent.parent
    return "|".join([__version__, str(_SCHEMA), *file_stamps(here / name for name in _CODE)])


def cache_key(*, plan_digest: str, order: Sequence[str], exclude: Iterable[str], index: str,
              status: StatusView, head: str | None) -> str:
    """The key of `compute_inputs`' answer on these inputs (see the module docstring)."""
    h = digests.sha256(size=len(status.raw))  # the rest is small: OpenSSL only for a long status
    for part in (_code_stamp(), plan_digest, "\n".join(order), "\n".join(sorted(set(exclude))),
                 index, head or "-"):
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    h.update(status.raw + b"\0")
    for path, oid in sorted(status.rehashed.items()):
        h.update(f"{path}\0{oid}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def slot(scratch: Path, root: Path) -> Path:
    """The cache file of the work tree at `root` (linked worktrees have their own)."""
    name = digests.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return scratch / "inputs-cache" / f"{name}.msgpack"


def lookup(path: Path, key: str) -> dict[str, TaskInputs] | None:
    """The cached inputs when they were stored under `key`, else None."""
    try:
        with open(path, "rb") as f:
            if f.read(_KEY_LEN).decode("ascii", "replace") != key:
                return None
            check = f.read(_SUM_LEN)
            data = f.read()
        if check != _checksum(data):
            return None  # damaged: a task's parts, decoded only when read, could fail there
        tasks, digests, deps, untracked, ends, blob = _decoder.decode(data)
    except (OSError, msgspec.DecodeError):
        return None
    if not len(tasks) == len(digests) == len(deps) == len(untracked) == len(ends):
        return None
    return TaskInputs.deferred(tasks, digests, deps, untracked, ends, blob, _later.decode)


def _checksum(data: bytes) -> bytes:
    return b"%08x" % zlib.adler32(data)


def _body(inputs: dict[str, TaskInputs]) -> bytes:
    encode = msgspec.msgpack.encode
    every = list(inputs.values())
    parts = [encode((t.parts, t.paths, t.oids, t.tree, t.exclude)) for t in every]
    return encode(([t.task for t in every], [t.digest for t in every], [t.deps for t in every],
                   [t.untracked for t in every], list(accumulate(len(p) for p in parts)), b"".join(parts)))


def store(path: Path, key: str, inputs: dict[str, TaskInputs]) -> None:
    """Keep `inputs` under `key` (atomically; a cache that cannot be written is not used)."""
    from gitorch import atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = _body(inputs)
        # no fsync: a file cut short by a power cut fails its checksum, a miss (gitorch/atomic)
        atomic.write_bytes(path, key.encode("ascii") + _checksum(body) + body, durable=False)
    except OSError:
        pass
