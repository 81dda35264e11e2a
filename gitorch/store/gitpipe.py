"""A long-lived git process the CLI backend talks to line by line (cat-file --batch,
hash-object --stdin-paths, update-ref --stdin): started on first use, restarted after it
stopped, stopped with the store."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gitorch.gitcmd import git_popen, stop

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess


class GitPipe:
    """A long-lived git process we talk to line by line. `own_group`: out of reach of a
    terminal's Ctrl-C (gitcmd.git_popen), for a git that runs no hook."""

    def __init__(self, args: list[str], *, stderr: bool = False, own_group: bool = True) -> None:
        self.args = args
        self.stderr = stderr
        self.own_group = own_group
        self.proc: GitProcess | None = None
        self.lock = threading.Lock()

    def start(self) -> GitProcess:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = git_popen(self.args, stdin=True, stderr=self.stderr, own_group=self.own_group)
        return self.proc

    @contextlib.contextmanager
    def exchange(self) -> Iterator[GitProcess]:
        """The running process (started if need be) for one request and its answer, under the
        lock. An exchange cut short (a Ctrl-C or SIGTERM raised between the request and the
        end of its answer, an error) ends the process: its unread answer would be taken for
        the next request's (a blob's content for another object's); the next one starts anew."""
        with self.lock:
            proc = self.start()
            try:
                yield proc
            except BaseException:
                self.abandon()
                raise

    def abandon(self) -> None:
        """End the process without reading what it has still to say: its pipes are closed, so
        its next write ends it (SIGPIPE: git drops its lock files on it) as EOF ends its reads."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        stop(proc, timeout=1.0)  # a hook that hangs (update-ref's) is not waited for long

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
