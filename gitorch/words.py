"""Small wording helpers shared by every message: counts with the right plural."""

from __future__ import annotations


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`1 task`, `3 tasks`, `0 tasks`; `many` for irregular plurals (`1 entry`, `2 entries`)."""
    return f"{n} {noun if n == 1 else many or noun + 's'}"
