"""Loose git objects written in-process: what `git hash-object -w` does, without a process.

A loose object is `<kind> <size>\\0<data>`, zlib-deflated, stored under its SHA-1 at
`objects/<2 hex>/<38 hex>`. It is written to a temporary file in that folder and linked into
place (never over an existing file, as git does), so a reader sees a whole object or none
and a crash leaves at most a `tmp_obj_*` file, which `git gc` removes. An object already
there is freshened (its mtime), as git does, so `git prune` does not take it while the new
commit still refers to it.

The git CLI backend writes this way only where that is exactly git's own write (`plan`):
SHA-1 objects, no shared-repository permissions; the loose compression level and fsync as
the repository's config asks (the deflate window fitted to a small object: `_window`).
Anywhere else it keeps `git hash-object`.
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Mapping

from gitorch import digests
from gitorch.frozen import Frozen
from gitorch.gitcmd import GIT_TRUE

# What decides whether, and how, objects are written here (asked in the CLI backend's one
# `git config --get-regexp`, keys lowercased as git prints them).
CONFIG_KEYS = ("core.sharedrepository", "core.fsync", "core.fsyncobjectfiles", "core.compression",
               "core.loosecompression", "extensions.objectformat")
CONFIG_PATTERN = r"^(core\.(sharedrepository|fsync|fsyncobjectfiles|compression|loosecompression)" \
                 r"|extensions\.objectformat)$"
_FSYNCED_BY = frozenset({"loose-object", "objects", "committed", "added", "all"})
_counter = itertools.count()


class LooseWriter(Frozen):
    """Writes objects into `objects` (a repository's object directory). A frozen dataclass's
    behaviour (gitorch/frozen.py), without loading dataclasses."""

    _fields = ("objects", "level", "fsync")
    objects: str
    level: int  # core.loosecompression's default: Z_BEST_SPEED
    fsync: bool  # git's default (core.fsync unset) fsyncs no loose object

    def __init__(self, objects: str, level: int = 1, fsync: bool = False) -> None:
        set_field = object.__setattr__
        set_field(self, "objects", objects)
        set_field(self, "level", level)
        set_field(self, "fsync", fsync)

    def write(self, kind: bytes, data: bytes) -> str:
        """The object's id; the object is on disk (or was already) when this returns."""
        header = b"%s %d\0" % (kind, len(data))
        sha = digests.sha1(header, size=len(header) + len(data))
        sha.update(data)
        oid = sha.hexdigest()
        folder = os.path.join(self.objects, oid[:2])
        final = os.path.join(folder, oid[2:])
        try:
            os.utime(final)  # there already: freshened, as git does
            return oid
        except FileNotFoundError:
            pass
        except OSError:
            return oid  # there but not ours to touch (read-only): git ignores that too
        packed = zlib.compressobj(self.level, zlib.DEFLATED, *_window(len(header) + len(data)))
        body = packed.compress(header) + packed.compress(data) + packed.flush()
        tmp = self._temporary(folder, body)
        try:
            os.link(tmp, final)
        except FileExistsError:
            pass  # another writer put the same object there first
        except OSError:
            os.replace(tmp, final)  # a file system without hard links (git falls back alike)
            return oid
        os.unlink(tmp)
        return oid

    def _temporary(self, folder: str, body: bytes) -> str:
        tmp = os.path.join(folder, f"tmp_obj_{os.getpid()}_{next(_counter)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileNotFoundError:
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        return tmp


def _window(size: int) -> tuple[int, int]:
    """zlib's window bits and memory level for an object of `size` bytes. zlib's defaults
    (15, 8), which git uses, allocate ~270 kB a stream, which glibc hands back to the kernel
    at free: each small object paid page faults for it (~150 µs of CPU against ~35). A
    window as large as the object loses nothing; any window is valid zlib to git."""
    if size > 1 << 16:
        return 15, 8
    return min(15, max(9, (size - 1).bit_length())), 5


def plan(git_dir: str, config: Mapping[str, str]) -> LooseWriter | None:
    """The writer for the repository at `git_dir` with these config values (last value of
    each key in CONFIG_KEYS), or None where `git hash-object` must write. The backend's git
    processes run without GIT_OBJECT_DIRECTORY and the like (gitcmd.clean_env): neither
    does this."""
    if config.get("extensions.objectformat", "sha1").lower() != "sha1":
        return None
    if config.get("core.sharedrepository", "").lower() not in ("", "false", "umask", "no", "off", "0"):
        return None
    objects = os.path.join(common_dir(git_dir), "objects")
    if not os.path.isdir(objects):
        return None
    level = _level(config.get("core.loosecompression", config.get("core.compression")))
    if level is None:
        return None
    return LooseWriter(objects, level, _fsync(config))


def common_dir(git_dir: str) -> str:
    """Where a linked worktree's git dir keeps its objects (its `commondir` file), else itself."""
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as f:
            named = f.read().strip()
    except (OSError, UnicodeDecodeError):
        return git_dir
    return os.path.normpath(os.path.join(git_dir, named)) if named else git_dir


def _level(value: str | None) -> int | None:
    """zlib's level for core.(loose)compression (-1: zlib's default), None when not a level."""
    if value is None:
        return 1
    try:
        level = int(value.strip())
    except ValueError:
        return None
    if level == -1:
        return zlib.Z_DEFAULT_COMPRESSION
    return level if 0 <= level <= 9 else None


def _fsync(config: Mapping[str, str]) -> bool:
    """Whether git fsyncs a loose object here. git reads core.fsync as (default & ~negative)
    | positive: its default never holds loose objects, `none` clears only the default, so an
    item naming them (loose-object, objects, committed, added, all) fsyncs even beside a
    `-loose-object`."""
    if config.get("core.fsyncobjectfiles", "").lower() in GIT_TRUE:
        return True
    asked = {part.strip().lower() for part in config.get("core.fsync", "").split(",")}
    return bool(asked & _FSYNCED_BY)
