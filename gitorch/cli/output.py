"""Rendering shared by every command: JSON, concise human lines, errors."""

from __future__ import annotations

import sys
from typing import Any

import msgspec

from gitorch.invocation import localize

_enc = msgspec.json.Encoder(order="deterministic")


def emit_json(obj: Any) -> None:
    """Write `obj` (Structs, dicts, lists…) as one JSON document to stdout."""
    sys.stdout.write(_enc.encode(obj).decode() + "\n")
    sys.stdout.flush()


def emit_jsonl(items: Any) -> None:
    for item in items:
        sys.stdout.write(_enc.encode(item).decode() + "\n")
    sys.stdout.flush()


def say(text: str = "") -> None:
    """One line for the user; a `git orch …` in it names the command they actually ran."""
    sys.stdout.write(localize(text) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(localize(text) + "\n")
