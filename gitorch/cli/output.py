"""Rendering shared by every command: JSON, concise human lines, errors, colour.

Colour follows https://no-color.org and the FORCE_COLOR convention: none when NO_COLOR is
set or the stream is not a terminal (or TERM=dumb); FORCE_COLOR (not 0) forces it. Failures
are red, completions green, waits yellow.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any, TextIO

from gitorch.invocation import localize


@functools.cache
def _encoder() -> Any:
    """msgspec's deterministic encoder, loaded on first use (`say` alone needs no msgspec)."""
    import msgspec

    return msgspec.json.Encoder(order="deterministic")


def emit_json(obj: Any) -> None:
    """Write `obj` (Structs, dicts, lists…) as one JSON document to stdout."""
    sys.stdout.write(_encoder().encode(obj).decode() + "\n")
    sys.stdout.flush()


def emit_jsonl(items: Any) -> None:
    for item in items:
        sys.stdout.write(_encoder().encode(item).decode() + "\n")
    sys.stdout.flush()


def say(text: str = "") -> None:
    """One line for the user; a `git orch …` in it names the command they actually ran."""
    sys.stdout.write(localize(text) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(localize(text) + "\n")


def fail(text: str) -> None:
    """An error line on stderr, red on a terminal."""
    sys.stderr.write(paint(localize(text), "red", sys.stderr) + "\n")


_SGR = {"red": "31", "green": "32", "yellow": "33", "bold": "1"}
# A task's state (or an outcome word) -> its colour.
STATE_COLORS = {
    "failed": "red", "error": "red", "FAILED": "red", "interrupted": "red",
    "completed": "green", "approved": "green", "ok": "green", "passed": "green",
    "awaiting_approval": "yellow", "waiting": "yellow", "waits": "yellow", "blocked": "yellow",
    "in_progress": "yellow",
}


def use_color(stream: TextIO | None = None) -> bool:
    """Whether to colour what goes to `stream` (stdout by default)."""
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    stream = stream if stream is not None else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and os.environ.get("TERM") != "dumb"


def paint(text: str, color: str | None, stream: TextIO | None = None) -> str:
    """`text` in `color` (red, green, yellow, bold, or a state from STATE_COLORS) when colour is on."""
    code = _SGR.get(STATE_COLORS.get(color or "", color or ""))
    if not code or not text or not use_color(stream):
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def paint_counts(counts: dict[str, int], stream: TextIO | None = None) -> str:
    """`3 completed, 1 failed`, each part in its state's colour."""
    return ", ".join(paint(f"{n} {state}", state, stream) for state, n in sorted(counts.items()))
