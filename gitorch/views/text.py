"""Text from the state branch made safe to print: names, titles, reasons and approver names
come from any clone that synced, so a control character in them (an escape sequence that
rewrites the terminal, a bell, a carriage return) is shown escaped, never sent as is."""

from __future__ import annotations

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides that reorder text,
# each with its escape: a table for str.translate, not a regular expression (compiling one
# was ~2.7 M instructions of every command that imports this module, ~1% of a P2 re-run)
_RANGES = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069))
_ESCAPES = {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
            for first, last in _RANGES for code in range(first, last + 1)}


def printable(text: str, *, newlines: bool = False) -> str:
    """`text` with control characters shown as \\xNN (newlines too, unless `newlines`)."""
    out = text.translate(_ESCAPES)
    return out if newlines else out.replace("\n", "\\n")
