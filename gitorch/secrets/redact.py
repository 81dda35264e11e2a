"""Masking secret values (`***`) in anything gitorch writes or prints, like CI systems do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from gitorch.repo import Repo

MASK = "***"
# A line of a multi-line secret is masked on its own when it is at least this long; shorter
# lines (a lone "}" of a JSON key file) would mask unrelated output.
MIN_LINE = 4


def _variants(value: str) -> set[str]:
    """The forms in which a value shows up in output: as is, stripped, and each of its lines."""
    out: set[str] = set()
    if not value.strip():  # masking blanks would mangle every line and reveal nothing
        return out
    out.add(value)
    stripped = value.strip()
    if stripped:
        out.add(stripped)
    if "\n" in stripped or "\r" in stripped:
        out.add(stripped.replace("\r\n", "\n"))
        out.add(stripped.replace("\r\n", "\n").replace("\n", "\r\n"))
        for line in stripped.splitlines():
            line = line.strip()
            if len(line) >= MIN_LINE:
                out.add(line)
    return out


class Redactor:
    """Replaces every known secret value with `***` in text, bytes and nested records."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._bpattern: re.Pattern[bytes] | None = None
        for value in values:
            self.add(value)

    @classmethod
    def for_repo(cls, repo: Repo | None, names: Iterable[str] | None = None) -> Redactor:
        """A redactor for the values `names` have in any scope (default: every stored secret)."""
        from gitorch.secrets.store import all_values, stored_names

        wanted = list(names) if names is not None else stored_names(repo)
        red = cls()
        for name in dict.fromkeys(wanted):
            for value in all_values(repo, name):
                red.add(value)
        return red

    def add(self, value: str) -> None:
        """Also mask `value` from now on."""
        new = _variants(value) - self._values
        if new:
            self._values |= new
            self._pattern = self._bpattern = None

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"Redactor({len(self._values)} values)"

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._values:
            # Longest first, so a value containing another is masked whole.
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern

    def _bcompiled(self) -> re.Pattern[bytes] | None:
        if self._bpattern is None and self._values:
            ordered = sorted(
                {v.encode("utf-8", errors="surrogateescape") for v in self._values},
                key=len, reverse=True,
            )
            self._bpattern = re.compile(b"|".join(re.escape(v) for v in ordered))
        return self._bpattern

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by `***`."""
        pattern = self._compiled()
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def redact_bytes(self, data: bytes) -> bytes:
        """`data` with every secret value (as UTF-8) replaced by `***`."""
        pattern = self._bcompiled()
        if pattern is None or not data:
            return data
        return pattern.sub(MASK.encode(), data)

    def redact_obj(self, obj: Any) -> Any:
        """A copy of a JSON-like value (dicts, lists, strings) with every string redacted."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, bytes):
            return self.redact_bytes(obj)
        if isinstance(obj, dict):
            return {self.redact(k) if isinstance(k, str) else k: self.redact_obj(v)
                    for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.redact_obj(v) for v in obj)
        return obj

    def stream(self) -> StreamRedactor:
        """A redactor for output read in pieces (a secret split between two reads is masked)."""
        return StreamRedactor(self._bcompiled(), max((len(v.encode("utf-8", "surrogateescape"))
                                                      for v in self._values), default=0))


class StreamRedactor:
    """Masks secrets in a byte stream fed in pieces of any size.

    It holds back the last (longest secret - 1) bytes of what it was given: a secret that
    begins in the part it returns lies wholly in what it has seen, so it is masked whole
    even when it arrived split across two reads."""

    def __init__(self, pattern: re.Pattern[bytes] | None, longest: int) -> None:
        self._pattern = pattern
        self._hold = max(0, longest - 1)
        self._buf = b""

    def feed(self, data: bytes) -> bytes:
        """The redacted output that is now certain; the rest waits for more data or close()."""
        if self._pattern is None:
            return data
        buf = self._buf + data
        safe = len(buf) - self._hold  # a secret starting before here ends within buf
        out: list[bytes] = []
        pos = 0
        for m in self._pattern.finditer(buf):
            if m.start() >= safe:
                break
            out += [buf[pos:m.start()], MASK.encode()]
            pos = m.end()
        cut = max(pos, safe)
        out.append(buf[pos:cut])
        self._buf = buf[cut:]
        return b"".join(out)

    def close(self) -> bytes:
        """What was held back, redacted (the stream has ended)."""
        rest, self._buf = self._buf, b""
        return self._pattern.sub(MASK.encode(), rest) if self._pattern is not None else rest
