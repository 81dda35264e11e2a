"""SHA-1 and SHA-256 for the hot paths, without loading OpenSSL for small inputs.

`import hashlib` loads OpenSSL's libcrypto (~12 M instructions, 3-4 ms of every start that
makes a digest). CPython's own implementations (`_sha1`, `_sha256`; `_sha2` since 3.12) load
in ~2 M but hash ~6x slower (SHA-1 ~5 µs a kB against OpenSSL's ~0.6). So input up to `SMALL`
bytes is hashed by CPython's, larger input by hashlib's, imported then: a re-run that skips
every task hashes ~200 kB in all, no object over 100 kB, and never loads OpenSSL (issue 15,
P2), while a large run's 1 MB watch.json is hashed by OpenSSL, and so is everything after it:
once hashlib is loaded, small input costs less there too (a run's later commits hash their
segments ~8x faster). The digests are the same.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class Hasher(Protocol):
        def update(self, data: bytes, /) -> None: ...

        def digest(self) -> bytes: ...

        def hexdigest(self) -> str: ...

SMALL = 1 << 18  # bytes: up to here CPython's own hash costs less than loading OpenSSL

try:  # CPython's own (3.11: _sha1 and _sha256; 3.12+: _sha1 and _sha2)
    from _sha1 import sha1 as _small_sha1
except ImportError:  # pragma: no cover - another interpreter
    _small_sha1 = None
try:
    from _sha256 import sha256 as _small_sha256
except ImportError:  # pragma: no cover - 3.12+ or another interpreter
    try:
        from _sha2 import sha256 as _small_sha256  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _small_sha256 = None


def sha1(data: bytes = b"", size: int = 0) -> Hasher:
    """A SHA-1 hasher fed `data`; `size`: how much will be fed in all, when more is to follow.
    Once OpenSSL is loaded (a large input, or engine/inputs), it hashes everything: ~8x faster."""
    if _small_sha1 is not None and max(len(data), size) <= SMALL and "hashlib" not in sys.modules:
        return _small_sha1(data)  # type: ignore[no-any-return]
    import hashlib

    return hashlib.sha1(data)


def sha256(data: bytes = b"", size: int = 0) -> Hasher:
    """A SHA-256 hasher fed `data`; `size`: how much will be fed in all, when more is to follow."""
    if _small_sha256 is not None and max(len(data), size) <= SMALL and "hashlib" not in sys.modules:
        return _small_sha256(data)  # type: ignore[no-any-return]
    import hashlib

    return hashlib.sha256(data)
