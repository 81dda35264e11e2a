"""The one way gitorch replaces a file: whole or not at all, even across a crash.

A temp file beside the target (same folder, so the rename cannot cross file systems) is
written, fsynced, renamed over the target with `os.replace`, and the folder is fsynced so
the rename itself survives a power cut. On any failure the temp file is removed and the
target is untouched. `durable=False` leaves out both fsyncs, for a machine-local cache that
tells a damaged file from a good one (a key, a checksum) and computes the answer again: a
crash still leaves the old file or the new one whole, and after a power cut at worst a file
the cache does not use; 2-15 ms a write on ext4 (a first run writes two: issue 15, P1, P7).
Standard library only: the hook installer uses it too.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

_DEFAULT_MODE = 0o666  # narrowed by the umask, like any new file


def _open_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, exclusively created temp file in `folder` (its fd and path)."""
    for _ in range(100):
        tmp = folder / f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _DEFAULT_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: cannot create a temp file for {name}")


def _fsync_folder(folder: Path) -> None:
    # Some file systems (and Windows) cannot open or fsync a folder; the rename still happened.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _target_mode(path: Path, mode: int | None) -> int | None:
    """The mode to give the new file: `mode`, else the replaced file's, else None (umask)."""
    if mode is not None:
        return mode
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return None


@contextlib.contextmanager
def replacing(
    path: str | os.PathLike[str],
    *,
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
    durable: bool = True,
) -> Iterator[BinaryIO]:
    """A binary file to write; when the block ends without error it replaces `path`.

    `mode` sets the permission bits (default: those of the file replaced, else 0o666 minus
    the umask). `before_replace` runs after the data is synced and before the rename (fault
    injection in tests uses it). `durable`: fsync the file and the folder (see above). The
    folder must exist."""
    target = Path(path)
    fd, tmp = _open_temp(target.parent, target.name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            bits = _target_mode(target, mode)
            if bits is not None:
                os.fchmod(fh.fileno(), bits)
            if durable:
                os.fsync(fh.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_folder(target.parent)


def write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int | None = None,
    before_replace: Callable[[], None] | None = None,
    durable: bool = True,
) -> None:
    """Replace `path` with `data` atomically (see `replacing` for `mode`, `before_replace`,
    `durable`)."""
    with replacing(path, mode=mode, before_replace=before_replace, durable=durable) as fh:
        fh.write(data)


def write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    mode: int | None = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> None:
    """Replace `path` with `text` atomically (encoded with `encoding`, `errors`)."""
    write_bytes(path, text.encode(encoding, errors), mode=mode)
