"""A long-lived git process the CLI backend talks to line by line (cat-file --batch,
hash-object --stdin-paths, update-ref --stdin): started on first use, restarted after it
stopped, stopped with the store."""

from __future__ import annotations

import threading
from typing import IO, TYPE_CHECKING

from gitorch.gitcmd import git_popen, stop

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess


class GitPipe:
    """A long-lived git process we talk to line by line."""

    def __init__(self, args: list[str], *, stderr: bool = False) -> None:
        self.args = args
        self.stderr = stderr
        self.proc: GitProcess | None = None
        self.lock = threading.Lock()

    def start(self) -> GitProcess:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = git_popen(self.args, stdin=True, stderr=self.stderr)
        return self.proc

    def io(self) -> tuple[IO[bytes], IO[bytes]]:
        proc = self.start()
        assert proc.stdin is not None and proc.stdout is not None
        return proc.stdin, proc.stdout

    def close(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def adopt(self, proc: GitProcess) -> bool:
        """Talk to `proc` (the same command, started earlier) instead of starting one; False
        (and `proc` stopped) when this pipe has its process already."""
        with self.lock:
            if self.proc is None and proc.stdin is not None and proc.stdout is not None:
                self.proc = proc
                return True
        stop(proc)
        return False


def unanswered(header: bytes, request: bytes) -> bool:
    """Whether `header` is `git cat-file --batch`'s "no object" answer to `request`: git
    echoes the request line (the whole line, spaces and all; a final CR dropped, as
    strbuf_getline reads it) and then " missing" (or " ambiguous"). Compared with the exact
    request, so a path with spaces, or one ending in " missing" itself, is read right."""
    for asked in (request, request.removesuffix(b"\r")):
        if header in (asked + b" missing\n", asked + b" ambiguous\n"):
            return True
    return False
