"""The discovery HTTP client's response cache: one small JSON file per URL under the user
cache directory, written atomically; a corrupt or foreign entry is discarded and refetched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from gitorch import atomic

CACHE_SCHEMA = 1


class CacheEntry(msgspec.Struct, kw_only=True):
    """One cached response: validators, the Link header and the JSON body as text."""

    schema: int = CACHE_SCHEMA
    url: str
    etag: str | None = None
    last_modified: str | None = None
    link: str | None = None
    # rel="next" of `link`, parsed when fetched ("" for none; None in entries from before it),
    # so answering from the cache needs no httpx
    next_url: str | None = None
    body: str = ""
    fetched_at: float = 0.0


_entry_decoder = msgspec.json.Decoder(CacheEntry)
_encoder = msgspec.json.Encoder()


def default_cache_dir() -> Path:
    """`<user cache dir>/gitorch/http` (platformdirs; XDG_CACHE_HOME on Linux)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("gitorch")) / "http"


class ResponseCache:
    """Cached responses keyed by URL, one small JSON file each, written atomically."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_cache_dir()

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, url: str) -> CacheEntry | None:
        """The entry for `url`; a corrupt file is discarded (so the caller refetches)."""
        path = self._path(url)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            entry = _entry_decoder.decode(data)
            if entry.url != url or entry.schema != CACHE_SCHEMA:
                raise ValueError("stale or foreign cache entry")
            return entry
        except (msgspec.DecodeError, ValueError):
            path.unlink(missing_ok=True)
            return None

    def discard(self, url: str) -> None:
        self._path(url).unlink(missing_ok=True)

    def put(self, entry: CacheEntry) -> None:
        """Write `entry` with temp-file + rename, so a crash never leaves half a file."""
        path = self._path(entry.url)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(path, _encoder.encode(entry))
