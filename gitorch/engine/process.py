"""Child processes of a run, driven from one thread: spawn, wait for any, time out, stop.

Each command runs as `/bin/sh -c CMD` in its own session (so its process group can be
killed whole on a timeout or Ctrl-C), output to a file (never a pipe, so megabytes cost no
memory and no reader), stdin from /dev/null. On Linux a child is started with posix_spawn
and watched through a pidfd, so a run of 1,000 short tasks costs little more than the
forks themselves; elsewhere a Popen and a waiter thread stand in.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import msgspec

from gitorch.engine.signals import HOLD, interrupts_deferred, sigterm_as_interrupt

# What Python ignores at start-up and a command must not inherit (Popen's restore_signals):
# ignored, SIGPIPE turns `yes | head -1` into "yes: standard output: Broken pipe"
_PYTHON_IGNORES = tuple(getattr(signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, n))
KILL_GRACE = 0.5  # seconds between SIGTERM and SIGKILL of a group that overran
SHELL = "/bin/sh"
# Like make: a command with nothing the shell would interpret is executed directly, which
# saves one process per command. Anything else (quotes, $, globs, redirections, builtins,
# VAR=value prefixes) goes through /bin/sh -c.
_PLAIN = re.compile(r"[A-Za-z0-9_./,:+@%-]+(?: +[A-Za-z0-9_./,:+@%=-]+)*")
_BUILTINS = frozenset({
    "!", ".", ":", "[", "alias", "bg", "break", "case", "cd", "command", "continue", "do", "done",
    "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg", "fi",
    "for", "getopts", "hash", "if", "jobs", "kill", "local", "printf", "pwd", "read", "readonly",
    "return", "set", "shift", "test", "then", "times", "trap", "true", "type", "ulimit", "umask",
    "unalias", "unset", "until", "wait", "while", "{", "}",
})
_PIDFD = hasattr(os, "pidfd_open") and hasattr(os, "posix_spawn") and hasattr(os, "POSIX_SPAWN_DUP2")


class CommandOutcome(msgspec.Struct):
    """What one command did."""

    status: int | None  # exit code; None when killed (timeout, interrupt, signal) or not started
    duration: float
    timed_out: bool
    size: int  # bytes of output
    error: str = ""  # why it could not start, or which signal ended it


class Child(msgspec.Struct, eq=False):
    """A running command."""

    pid: int
    fd: int  # readable when the child exited (a pidfd, or a pipe its waiter thread writes)
    log_fd: int
    started: float
    deadline: float | None  # monotonic time it must be done by (timeout), None: no limit
    timeout: float | None
    key: object  # who asked (the scheduler's handle)
    term_sent: bool = False
    timed_out: bool = False
    popen: subprocess.Popen[bytes] | None = None
    waited: list[int] = msgspec.field(default_factory=list)  # the waiter thread's status (fallback)


_Action = tuple[int, int, str, int, int] | tuple[int, int, int]  # a posix_spawn file action
# a command's environment: text, or names and values encoded (posix_spawn takes both as they are)
Env = Mapping[str, str] | Mapping[bytes, bytes]
_which: dict[tuple[str, str], str | None] = {}
_argv: dict[tuple[str, str], list[str]] = {}  # (cmd, PATH) -> what spawn execs


def exec_argv(cmd: str, path: str) -> list[str]:
    """What runs `cmd`: its program directly (see `direct_argv`), else `/bin/sh -c cmd`;
    remembered, as a run starts the same few commands many times."""
    key = (cmd, path)
    argv = _argv.get(key)
    if argv is None:
        if len(_argv) > 4096:
            _argv.clear()
        argv = _argv[key] = direct_argv(cmd, path) or [SHELL, "-c", cmd]
    return argv


def _path_of(env: Env) -> str:
    """PATH in `env`, whose names and values are text or (a run's commands) bytes."""
    path = env.get("PATH")  # type: ignore[call-overload]
    if path is None:
        path = env.get(b"PATH", b"")  # type: ignore[call-overload]
    return path if isinstance(path, str) else os.fsdecode(path)


def direct_argv(cmd: str, path: str) -> list[str] | None:
    """argv to exec `cmd` without a shell (its program resolved on PATH), or None."""
    text = cmd.strip()
    if not _PLAIN.fullmatch(text):
        return None
    words = text.split()
    if words[0] in _BUILTINS or "=" in words[0]:
        return None
    if "/" in words[0]:
        return None  # relative to the task's directory: leave it to the shell
    key = (words[0], path)
    if key not in _which:
        _which[key] = which(words[0], path)
    exe = _which[key]
    if exe is None:
        return None  # the shell says "not found" (exit 127) as a user expects
    return [exe, *words[1:]]


def which(name: str, path: str) -> str | None:
    """`shutil.which(name, path=path)` for a bare program name on POSIX: the first entry of
    `path` (an empty entry is the current directory) holding an executable non-directory
    `name`. Here because `import shutil` also imports bz2 and lzma (~5 ms, paid at a run's
    first command)."""
    if not path:
        return None
    seen: set[str] = set()
    for folder in path.split(os.pathsep):
        if folder in seen:
            continue
        seen.add(folder)
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):  # access: it exists
            return candidate
    return None


def _exit_fd(pid: int) -> tuple[int, list[int]]:
    """A descriptor readable once `pid` exits: its pidfd, or, where the kernel has none (older
    than 5.3, some sandboxes: ENOSYS although Python has the call), a pipe a waiter thread
    writes when it has reaped the child, with the exit code in the list."""
    global _PIDFD
    try:
        return os.pidfd_open(pid), []
    except OSError as exc:
        if exc.errno == errno.ENOSYS:
            _PIDFD = False  # the next commands start the portable way
    r, w = os.pipe()
    waited: list[int] = []

    def wait() -> None:
        waited.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        os.write(w, b"x")
        os.close(w)

    threading.Thread(target=wait, daemon=True).start()
    return r, waited


def kill_group(pid: int, sig: int) -> None:
    """Send `sig` to the process group `pid` leads (it was started in its own session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop_unwatched(pid: int) -> None:
    """Stop and reap a command that started but cannot be watched, so a "cannot start" is
    never reported while it runs on unreaped."""
    kill_group(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class Children:
    """Every live child of a run; `wait` returns those that ended, killing overdue ones."""

    def __init__(self) -> None:
        self.live: dict[int, Child] = {}  # fd -> child
        # reaped by a `wait` a Ctrl-C cut short, not handed on yet: `stop_all` hands them on
        self.ended: list[tuple[Child, CommandOutcome]] = []
        self._timed = 0  # live children started with a timeout: with none, `wait` reads no clock
        self._poll = select.poll()
        self._cwd: str | None = None
        # output files stay open between the commands that reuse them (the runner empties a
        # file before it is used again): no open and close per command
        self._logs: dict[Path, int] = {}
        self._actions: dict[int, list[_Action]] = {}  # output fd -> spawn's file actions

    def spawn(self, cmd: str, *, cwd: Path, env: Env, log_path: Path,
              timeout: float | None, key: object) -> Child | CommandOutcome:
        """Start `cmd`; an CommandOutcome right away when it cannot start. A Ctrl-C meanwhile
        is raised once the command is among `live`, so stopping the run stops it too."""
        HOLD.now = True
        try:
            return self._start(cmd, cwd, env, log_path, timeout, key)
        finally:
            HOLD.done()

    def _start(self, cmd: str, cwd: Path, env: Env, log_path: Path,
               timeout: float | None, key: object) -> Child | CommandOutcome:
        start = time.monotonic()
        log_fd = self._log_fd(log_path)
        try:
            if _PIDFD:
                pid, popen = self._spawn_fast(cmd, cwd, env, log_fd), None
                try:
                    fd, waited = _exit_fd(pid)
                except OSError:  # started, but nothing to wait on (EMFILE): not left running
                    _stop_unwatched(pid)
                    raise
            else:
                popen, fd, waited = self._spawn_portable(cmd, cwd, env, log_fd)
                pid = popen.pid
        except OSError as exc:
            os.write(log_fd, f"gitorch: cannot start: {exc}\n".encode())
            size = os.fstat(log_fd).st_size
            return CommandOutcome(None, time.monotonic() - start, False, size, f"cannot start: {exc}")
        child = Child(pid=pid, fd=fd, log_fd=log_fd, started=start,
                      deadline=start + timeout if timeout else None, timeout=timeout, key=key,
                      popen=popen, waited=waited)
        self.live[fd] = child
        self._timed += bool(timeout)  # as `deadline` is set
        self._poll.register(fd, select.POLLIN)
        return child

    def _log_fd(self, path: Path) -> int:
        fd = self._logs.get(path)
        if fd is None:  # appended to: after the runner empties it, output starts at 0 again
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
            fd = self._logs[path] = os.open(path, flags, 0o600)
        return fd

    def close(self) -> None:
        """Close the output files kept open (the children are reaped or stopped by now)."""
        for fd in self._logs.values():
            os.close(fd)
        self._logs.clear()
        self._actions.clear()

    def _spawn_fast(self, cmd: str, cwd: Path, env: Env, log_fd: int) -> int:
        # posix_spawn has no chdir action: change this (single-threaded) process's directory
        where = str(cwd)
        if self._cwd != where:
            os.chdir(where)
            self._cwd = where
        actions = self._actions.get(log_fd)
        if actions is None:
            actions = self._actions[log_fd] = [
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ]
        argv = exec_argv(cmd, _path_of(env))
        return os.posix_spawn(argv[0], argv, env, file_actions=actions, setsid=True,
                              setsigdef=_PYTHON_IGNORES)

    def _spawn_portable(
        self, cmd: str, cwd: Path, env: Env, log_fd: int,
    ) -> tuple[subprocess.Popen[bytes], int, list[int]]:
        popen = subprocess.Popen(
            [SHELL, "-c", cmd], cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=log_fd,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        r, w = os.pipe()
        waited: list[int] = []

        def wait() -> None:
            waited.append(popen.wait())
            os.write(w, b"x")
            os.close(w)

        threading.Thread(target=wait, daemon=True).start()
        return popen, r, waited

    def restore_cwd(self, cwd: str) -> None:
        if self._cwd is not None:
            os.chdir(cwd)
            self._cwd = None

    def next_deadline(self) -> float | None:
        if not self._timed:
            return None
        deadlines = [c.deadline for c in self.live.values() if c.deadline is not None]
        return min(deadlines) if deadlines else None

    def wait(self, timeout: float | None) -> list[tuple[Child, CommandOutcome]]:
        """Children that ended within `timeout` seconds (None: until one does)."""
        if not self.live:
            if timeout:
                time.sleep(timeout)
            return []
        deadline = self.next_deadline()
        if deadline is not None:
            wait_for = max(0.0, deadline - time.monotonic())
            timeout = wait_for if timeout is None else min(timeout, wait_for)
        ready = self._poll.poll(None if timeout is None else max(0, int(timeout * 1000) + 1))
        if not ready and not self._timed:
            return []
        HOLD.now = True  # a Ctrl-C now is raised once every end reaped is kept
        try:
            ended = self.ended
            ended += [self._reap(self.live[fd]) for fd, _ in ready if fd in self.live]
            if self._timed:
                self._enforce_timeouts()
        finally:
            HOLD.done()
        self.ended = []
        return ended

    def _enforce_timeouts(self) -> None:
        now = time.monotonic()
        for child in list(self.live.values()):
            if child.deadline is None or now < child.deadline:
                continue
            if not child.term_sent:
                child.timed_out = child.term_sent = True
                kill_group(child.pid, signal.SIGTERM)
                child.deadline = now + KILL_GRACE
            else:
                kill_group(child.pid, signal.SIGKILL)
                child.deadline = None

    def _reap(self, child: Child) -> tuple[Child, CommandOutcome]:
        self._poll.unregister(child.fd)
        del self.live[child.fd]
        self._timed -= bool(child.timeout)
        if child.waited:  # a waiter thread reaped it (no pidfd)
            code = child.waited[0]
        elif child.popen is not None:
            code = child.popen.wait()
        else:
            _, status = os.waitpid(child.pid, 0)
            code = os.waitstatus_to_exitcode(status)
        os.close(child.fd)
        if child.timed_out or code < 0:
            kill_group(child.pid, signal.SIGKILL)  # what outlived its parent in the group goes too
        size = os.fstat(child.log_fd).st_size
        duration = time.monotonic() - child.started
        if child.timed_out:
            return child, CommandOutcome(None, duration, True, size, f"timed out after {child.timeout:g}s")
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return child, CommandOutcome(None, duration, False, size, f"killed by {name}")
        return child, CommandOutcome(code, duration, False, size)

    def stop_all(self) -> list[tuple[Child, CommandOutcome]]:
        """Stop every child's process group (SIGTERM, then SIGKILL after a grace); reap them.
        The ends a cut-short `wait` reaped come first, as they are."""
        for child in self.live.values():
            kill_group(child.pid, signal.SIGTERM)
        end = time.monotonic() + KILL_GRACE
        out, self.ended = self.ended, []
        while self.live and time.monotonic() < end:
            ready = self._poll.poll(max(1, int((end - time.monotonic()) * 1000)))
            out += [self._reap(self.live[fd]) for fd, _ in ready if fd in self.live]
        for child in list(self.live.values()):
            kill_group(child.pid, signal.SIGKILL)
        while self.live:
            ready = self._poll.poll(1000)
            out += [self._reap(self.live[fd]) for fd, _ in ready if fd in self.live]
        return out



def run_command(cmd: str, *, cwd: Path, env: Mapping[str, str], timeout: float | None,
                log_path: Path) -> CommandOutcome:
    """Run one command to its end outside a run (a secret's probe), output to `log_path`; on a
    timeout or a Ctrl-C its whole process group is stopped, as in a run (in its own session,
    a terminal's Ctrl-C does not reach it)."""
    children = Children()
    here = os.getcwd()
    try:
        with sigterm_as_interrupt():  # a Ctrl-C inside posix_spawn is raised once it is known
            started = children.spawn(cmd, cwd=cwd, env=env, log_path=log_path, timeout=timeout, key=None)
            if isinstance(started, CommandOutcome):
                return started
            while True:
                for _, outcome in children.wait(None):
                    return outcome
    except KeyboardInterrupt:
        with interrupts_deferred():  # a second Ctrl-C does not cut the stop short
            children.stop_all()
        raise
    finally:
        children.restore_cwd(here)
        children.close()
