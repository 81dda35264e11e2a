"""A document's lines, split only as far as the line reader (plan/blockyaml.py) gets to them.

A large plan is mostly a long list of tasks that shapes (plan/shapes.py) read straight from
the text: splitting all of it into lines first (200,000 strings for 10,000 tasks, made and
freed again) would cost about as much as a tenth of reading it. The lines are split a piece
at a time, each piece twice the one before; the lines a shape read are skipped, each as an
empty placeholder, so that line numbers stay indexes.
"""

from __future__ import annotations

_FIRST_PIECE = 32_768  # characters: the top of a plan and its first items


class Lines:
    """The lines of `base` (a text without its last line break, as `base.split("\\n")` has
    them): `lines` holds the first ones; `through` says when there are no more (the lines are
    not counted ahead: that is a pass over all the text, as costly as a tenth of reading it)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.lines: list[str] = []
        self.offset = 0  # where line len(lines) starts in base
        self.piece = _FIRST_PIECE
        self.skipped = False  # some lines are placeholders (skip_to)
        self.through(0)

    def through(self, j: int) -> int:
        """Split the lines up to line j (or the last one). -> how many lines are split."""
        base, lines = self.base, self.lines
        while len(lines) <= j and self.offset <= len(base):  # (past its end: all split)
            end = base.find("\n", self.offset + self.piece)
            if end < 0:
                end = len(base)
            lines += base[self.offset:end].split("\n")
            self.offset = end + 1
            self.piece *= 2
        return len(lines)

    @property
    def total(self) -> int:
        """How many lines there are (counted in all the text: not for the reader's way)."""
        return self.base.count("\n") + 1

    def all(self) -> None:
        """Split every line."""
        while self.offset <= len(self.base):
            self.through(len(self.lines))

    def skip_to(self, line: int, offset: int) -> None:
        """Line `line` starts at `offset` in base and the lines before it were read otherwise:
        they stay placeholders unless split already."""
        lines = self.lines
        if line > len(lines):
            lines += [""] * (line - len(lines))
            self.offset = offset
            self.skipped = True
