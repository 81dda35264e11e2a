"""Text from the state branch made safe to print: names, titles, reasons and approver names
come from any clone that synced, so a control character in them (an escape sequence that
rewrites the terminal, a bell, a carriage return) is shown escaped, never sent as is."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides that reorder text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with control characters shown as \\xNN (newlines too, unless `newlines`)."""
    out = _CONTROL.sub(_escaped, text)
    return out if newlines else out.replace("\n", "\\n")
