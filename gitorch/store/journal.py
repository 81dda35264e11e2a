"""The local journal: cheap, durable event appends between commits of the state branch.

`<scratch>/journal/<session>.jsonl` takes appends (one write + fsync each). A flush
rotates every journal file to `<session>.<n>.pending` under the file's own lock, so a
writer either finished before the rotation or reopens a fresh file after it; the pending
files are then committed (one segment per file, named from its event ids, so a flush
repeated after a crash writes nothing twice) and deleted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import msgspec

from gitorch import events as ev
from gitorch.events import Event
from gitorch.journalfile import append_locked, safe_name


class Known(msgspec.Struct, frozen=True):
    """Events a writer holds with the exact bytes it appended for them (`encode_lines`): a
    journal file holding these bytes and nothing else needs no decoding."""

    data: bytes
    events: Sequence[Event]


class Pending(msgspec.Struct):
    """One rotated journal file and what could be read from it."""

    path: Path
    events: list[Event] = msgspec.field(default_factory=list)
    problems: list[str] = msgspec.field(default_factory=list)


class Journal:
    """The journal directory of one repository."""

    def __init__(self, scratch: Path) -> None:
        self.dir = scratch / "journal"

    def path_for(self, session: str) -> Path:
        return self.dir / f"{safe_name(session)}.jsonl"

    def append(self, events: list[Event] | tuple[Event, ...], session: str, sync: bool = True) -> None:
        """Append `events` to `session`'s journal and fsync (unless `sync` is False)."""
        if not events:
            return
        from gitorch.store.locks import funlock, try_flock  # flock; portalocker off POSIX

        self.dir.mkdir(parents=True, exist_ok=True)
        append_locked(str(self.path_for(session)), ev.encode_lines(events), sync=sync,
                      lock=lambda fh: try_flock(fh, blocking=True), unlock=funlock)

    def rotate(self) -> None:
        """Move every live journal file aside as `*.pending` (held writers finish first)."""
        live = self._files(".jsonl")
        if not live:
            return
        from gitorch.store.locks import funlock, try_flock

        for path in live:
            try:
                fh = open(path, "ab")  # noqa: SIM115
            except FileNotFoundError:
                continue
            try:
                try_flock(fh, blocking=True)
                try:
                    if os.fstat(fh.fileno()).st_size > 0:
                        target = path.with_name(f"{path.stem}.{os.urandom(4).hex()}.pending")  # token_hex(4)
                        os.rename(path, target)
                    else:
                        os.unlink(path)
                except FileNotFoundError:
                    pass
            finally:
                funlock(fh)
                fh.close()

    def pending(self, known: Known | None = None) -> list[Pending]:
        """Every rotated file (including ones a crashed flush left), decoded line by line; a
        file whose bytes are exactly `known`'s is not decoded: its events are `known`'s."""
        return [self._read(p, known) for p in self._files(".pending")]

    def live(self) -> list[Pending]:
        """Every journal file, live and rotated (for reading events not yet committed)."""
        return [self._read(p) for p in [*self._files(".jsonl"), *self._files(".pending")]]

    def _files(self, suffix: str) -> list[Path]:
        """The files named `*<suffix>` here, sorted by name, read with scandir: what
        `sorted(dir.glob("*" + suffix))` listed on POSIX without compiling a pattern (fnmatch
        and re, ~1 ms of a run's flushes), but for a folder so named (skipped: opening it
        failed) and a folder that cannot be read (its error raised, not an empty list). No
        journal folder (or a file in its place): none."""
        try:
            with os.scandir(self.dir) as entries:
                names = [e.name for e in entries if e.name.endswith(suffix) and not e.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [self.dir / name for name in sorted(names)]

    @staticmethod
    def _read(path: Path, known: Known | None = None) -> Pending:
        out = Pending(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return out
        if known is not None and data == known.data:
            out.events = list(known.events)  # the bytes are theirs: decoding gives these events
            return out
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.events.append(ev.decode(line))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                # A torn last line after a crash, or a hand edit: report, keep the rest.
                out.problems.append(f"{path}:{n}: unreadable journal line ({exc})")
        return out

    def remove(self, done: list[Pending]) -> None:
        for p in done:
            try:
                p.path.unlink()
            except FileNotFoundError:
                pass
