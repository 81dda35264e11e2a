"""The bytes of small blobs this process read or wrote, by id (blobs are immutable): run
summaries, seals, recent.json, the format marker; read once per process. Standard library
and gitorch.digests only, so any store module can use it without an import cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitorch import digests

if TYPE_CHECKING:
    from gitorch.store.backend import Backend

# Blobs are immutable: the bytes of the summaries (and seals) this process read or wrote
# (at most _KEEP: a long run rewrites its summary at every flush).
_blobs: dict[str, bytes] = {}
_KEEP = 2048


def blob_id(data: bytes) -> str:
    """The id git gives a blob of `data` (no git call)."""
    return digests.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def remember(data: bytes) -> str:
    """`data`'s blob id, its bytes kept for `read_cached` (the caller writes the blob)."""
    oid = blob_id(data)
    keep(oid, data)
    return oid


def keep(oid: str, data: bytes) -> None:
    """Keep the bytes of blob `oid` for read_cached (read by the caller)."""
    if len(_blobs) >= _KEEP:
        _blobs.clear()
    _blobs[oid] = data


def is_kept(oid: str) -> bool:
    return oid in _blobs


def read_cached(backend: Backend, oid: str) -> bytes:
    """A small blob's bytes, read once per process."""
    data = _blobs.get(oid)
    if data is None:
        data = backend.read_blob(oid)
        keep(oid, data)
    return data
