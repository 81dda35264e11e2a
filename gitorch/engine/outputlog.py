"""A command's output, from its scratch file to the log stored on the state branch.

The command writes to a private scratch file (no pipe: megabytes cost no memory and no
reader thread). When it ends, the file streams through the redactor in chunks (a secret
split between two reads is still masked) into a keeper that holds the first and the last
`limit / 2` bytes, with a marker for what was cut in between. Memory stays at about
`limit` plus one chunk, whatever the command printed; the excerpt for the event is the end
of the kept (redacted) tail.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from gitorch.secrets.redact import Redactor

CHUNK = 1 << 20
DEFAULT_LIMIT = 1_000_000  # bytes of one command's log kept on the state branch


class KeptOutput(msgspec.Struct, frozen=True):
    """What is kept of one command's output."""

    log: bytes  # redacted; head, a marker and tail when the output was longer than the limit
    excerpt: str  # redacted end of the output, at most `excerpt_bytes` plus a marker line
    cut: int  # bytes of (redacted) output left out of `log`


class HeadTail:
    """The first and last bytes of a stream of any length, in bounded memory."""

    def __init__(self, limit: int) -> None:
        self.head_max = limit // 2
        self.tail_max = limit - self.head_max
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_max - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 2 * self.tail_max:  # trimmed now and then, not on every feed
                del self.tail[: len(self.tail) - self.tail_max]

    def skip(self, count: int) -> None:
        """`count` bytes passed that are known to fall in the cut (not looked at)."""
        self.total += count
        self.tail.clear()

    def end(self) -> bytes:
        """The last kept bytes."""
        return bytes(self.tail[-self.tail_max:]) if self.tail_max else b""

    def result(self) -> tuple[bytes, int]:
        """(head + marker + tail, bytes cut); the whole stream when nothing was cut."""
        tail = self.end()
        cut = self.total - len(self.head) - len(tail)
        if cut <= 0:
            return bytes(self.head) + bytes(self.tail), 0
        marker = (f"\n[gitorch: {cut} bytes of output cut here; the first {len(self.head)} and the last "
                  f"{len(tail)} of {self.total} bytes are kept (setting log_bytes)]\n").encode()
        return bytes(self.head) + marker + tail, cut


def keep_output(path: Path, size: int, redactor: Redactor, limit: int, excerpt_bytes: int) -> KeptOutput:
    """Stream the `size` bytes of output at `path` into what is stored (limit <= 0: all of it)."""
    keeper = HeadTail(limit if limit > 0 else size + 1)
    stream = redactor.stream()
    with open(path, "rb") as f:
        if not redactor and 0 < limit < size:  # nothing to mask: read only what is kept
            keeper.feed(f.read(keeper.head_max))
            keeper.skip(size - keeper.head_max - keeper.tail_max)
            f.seek(size - keeper.tail_max)
            keeper.feed(f.read(keeper.tail_max))
        else:
            while chunk := f.read(CHUNK):
                keeper.feed(stream.feed(chunk))
            keeper.feed(stream.close())
    log, cut = keeper.result()
    return KeptOutput(log=log, excerpt=excerpt(keeper.end() if cut else log, keeper.total, excerpt_bytes),
                      cut=cut)


def excerpt(end: bytes, total: int, limit: int) -> str:
    """The last `limit` bytes of `end` (the last bytes of `total`) as text, cut at a line start."""
    if len(end) <= limit and len(end) == total:
        return end.decode("utf-8", "replace")
    data = end[-limit:] if limit > 0 else b""
    nl = data.find(b"\n")
    if 0 <= nl < len(data) - 1:
        data = data[nl + 1:]
    omitted = total - len(data)
    return f"[… {omitted} bytes omitted; full output in the log …]\n" + data.decode("utf-8", "replace")
