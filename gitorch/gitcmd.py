"""Every git subprocess goes through here (stdlib only: the hook path imports it)."""

from __future__ import annotations

import os
import sys

# The git hooks import this module on their 40 ms budget (docs/hooks.md): nothing here
# imports pathlib, gitorch.errors (dataclasses), typing or subprocess (signal, enum, re)
# at module level; together they would cost the hooks about 25 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Mapping, Sequence

    GitProcess = subprocess.Popen[bytes]  # what git_popen returns (for annotations elsewhere)
    GitResult = subprocess.CompletedProcess[bytes]  # what git returns

    from collections.abc import Callable
    from typing import Protocol

    class Started(Protocol):
        """What git_start returns: git's (exit status, stdout); with stop, git is ended unread."""

        def __call__(self, stop: bool = False) -> tuple[int, bytes]: ...

# The one git call that finds a repository (repo.find_repo), and HEAD, which a run asks in the
# same call (engine/prestart starts it before gitorch.repo and pathlib load).
WHERE = ("rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir", "--show-toplevel")
HEAD = ("--verify", "-q", "HEAD")

# git status checks a large index's files in threads (core.preloadIndex, on by default: one
# thread per 500 entries, up to 20, whatever the cores). A run starts it beside its own work
# (engine/prestart: while Python imports): on Linux with 2 usable cores or fewer those threads
# take the core this process needs, and a re-run over 10,000 files ends ~4% later although
# status ends sooner (issue 15, P2). Without them git checks the same files one by one: the
# same output. Elsewhere (Git for Windows switches its file cache on there, macOS was not
# measured) it is left as it is; a CPU quota of a container (cgroups) is not seen.
PRELOAD_CORES = 2


def status_config(cores: int | None = None) -> list[str]:
    """`-c core.preloadIndex=false` for a git status that runs beside this process on Linux
    with PRELOAD_CORES cores or fewer (`cores`: those this process may use), else []."""
    if not sys.platform.startswith("linux"):
        return []
    if cores is None:
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = os.cpu_count() or 1
    return ["-c", "core.preloadIndex=false"] if cores <= PRELOAD_CORES else []


# The words git reads as a true boolean in its config (any case); `key` alone is true too.
GIT_TRUE = frozenset({"true", "yes", "on", "1"})

# Variables git sets for hooks and sub-commands; they must not leak into a call on another repo.
_GIT_REPO_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)


def _import_subprocess() -> None:
    """subprocess imported (the first time) without `locale` (gitorch/standins)."""
    if "subprocess" not in sys.modules:
        from gitorch.standins import import_subprocess

        import_subprocess()


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus git's per-repository variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_REPO_VARS}
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    if extra:
        env.update(extra)
    return env


def git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    input: bytes | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
) -> GitResult:
    """Run `git ARGS` in `cwd` with a clean environment; raise GitError on failure when `check`.

    gitorch's own checkouts (workspace clones, worktrees, ref checkouts in other repos) must
    not fire gitorch's hooks there: they would observe a half-applied workspace and cost a
    Python start each, so GITORCH_HOOKS=0 is set unless the caller says otherwise."""
    _import_subprocess()
    import subprocess

    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env=clean_env({"GITORCH_HOOKS": "0", **(env or {})}),
    )
    if check and proc.returncode != 0:
        from gitorch.errors import GitError

        msg = proc.stderr.decode(errors="replace").strip() or f"exit {proc.returncode}"
        raise GitError(f"git {' '.join(args[:2])} failed: {msg}")
    return proc


def git_popen(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    stdin: bool = False,
    stderr: bool = False,
    env: Mapping[str, str] | None = None,
    own_group: bool = False,
) -> GitProcess:
    """Start `git ARGS` in `cwd` (clean environment, `env` added) and return it running: stdout is
    piped, stdin piped when `stdin` (else empty), stderr piped when `stderr` (else dropped).
    For git processes kept open (`cat-file --batch`) or collected later (`communicate()`);
    end a kept one with `stop()`; `end_tree` ends one with whatever it started (a hook).

    `own_group`: git runs in a process group of its own, out of reach of a terminal's Ctrl-C
    (sent to the foreground group), for the state store's `cat-file --batch` and
    `hash-object --stdin-paths`: killed by it, they failed the reads and writes that record
    the run's stop (each further Ctrl-C killed the one started again). Only for a git that
    runs no hook and ends when its stdin does, however gitorch ends (a SIGKILL closes the
    pipe too); `update-ref` runs the reference-transaction hook, which a Ctrl-C must reach."""
    _import_subprocess()
    import subprocess

    return subprocess.Popen(
        ["git", *args], cwd=cwd, stdout=subprocess.PIPE,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stderr=subprocess.PIPE if stderr else subprocess.DEVNULL,
        env=clean_env(env), process_group=0 if own_group else None,
    )


def git_background(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    keep_fd: int | None = None,
) -> bool:
    """Start `git ARGS` in `cwd` in the background and return at once (True when started): a
    shell puts git in the background and exits, so git outlives this process and leaves no
    zombie (as `git gc --auto` detaches). `keep_fd` stays open in git (a lock it then holds
    until it ends); its output is dropped."""
    _import_subprocess()
    import subprocess

    proc = subprocess.run(
        ["sh", "-c", 'git "$@" </dev/null >/dev/null 2>&1 &', "sh", *args], cwd=cwd,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=clean_env({"GITORCH_HOOKS": "0", **(env or {})}),
        pass_fds=() if keep_fd is None else (keep_fd,),
    )
    return proc.returncode == 0


def stop(proc: GitProcess, timeout: float = 5.0) -> int:
    """End a process from `git_popen`: close its stdin, wait up to `timeout` seconds, then
    kill it; its pipes are closed. Returns its exit status."""
    import subprocess

    if proc.stdin:
        try:
            proc.stdin.close()  # closed even when what it held cannot be written
        except OSError:  # git has gone (killed): a request it never read
            pass
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        status = proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    return status


def git_quick(
    args: Sequence[str],
    cwd: str | None = None,
    *,
    input: bytes = b"",
    env: Mapping[str, str] | None = None,
) -> tuple[int, bytes]:
    """(exit status, stdout) of `git ARGS` in `cwd` with a clean environment, stderr dropped.

    For the hooks' hot path: os.posix_spawnp needs no import, where `subprocess` costs the
    hooks about 10 ms. `input` must be small (it is written before git starts); elsewhere,
    or where posix_spawn is missing, this is `git()`."""
    return git_start(args, cwd, input=input, env=env)()


def git_start(
    args: Sequence[str],
    cwd: str | None = None,
    *,
    input: bytes = b"",
    env: Mapping[str, str] | None = None,
    environ: dict[str, str] | None = None,
) -> Started:
    """Start `git ARGS` as `git_quick` runs it and return what waits for it: a function giving
    (exit status, stdout), the same on every call. Its output pipe is enlarged (Linux) so git
    can finish while the caller does something else. `environ`: clean_env(env), made once by
    a caller starting many (instead of `env`). `wait(stop=True)` ends a git not waited for
    yet with what it started (a submodule's git, a hook: `end_tree`) and gives (its status,
    b""); so does a wait cut short (a Ctrl-C), and every later call raises that again (its
    output is incomplete) unless it stops. git stays in gitorch's process group: a signal to
    the group (a terminal's hangup or Ctrl-C, a CI runner's kill) reaches it and its hook."""
    spawn = getattr(os, "posix_spawnp", None)
    if spawn is None or len(input) > 16384:
        proc = git(args, cwd, input=input, check=False, env=env if environ is None else environ)
        done = (proc.returncode, proc.stdout)
        return lambda stop=False: done
    argv = ["git", *(["-C", cwd] if cwd is not None else []), *args]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    try:
        _enlarge(out_w)
        os.write(in_w, input)
        os.close(in_w)
        in_w = -1
        program = _git_program()
        if program is not None:
            spawn = os.posix_spawn
        pid = spawn(program or "git", argv, clean_env(env) if environ is None else environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, in_r, 0),
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        ])
    except BaseException:
        for fd in (out_r, in_w):
            if fd >= 0:
                os.close(fd)
        raise
    finally:
        os.close(in_r)
        os.close(out_w)
    return _Wait(pid, out_r)


class _Wait:
    """What `git_start` returns: reads git's output from `out` to its end and reaps `pid`."""

    __slots__ = ("pid", "out", "result", "interrupted")

    def __init__(self, pid: int, out: int) -> None:
        self.pid, self.out = pid, out
        self.result: tuple[int, bytes] | None = None
        self.interrupted: BaseException | None = None  # what cut the first call short

    def __call__(self, stop: bool = False) -> tuple[int, bytes]:
        if self.result is None:
            self.result = (-1, b"")  # what a call cut short leaves: never a partial output
            try:
                self.result = self._read(stop)
            except BaseException as exc:
                self.interrupted = exc
                raise
        if self.interrupted is not None and not stop:
            raise self.interrupted  # its output is incomplete
        return self.result

    def _read(self, stop: bool) -> tuple[int, bytes]:
        """git's output (none when `stop`) and exit status, git reaped; a read cut short (a
        Ctrl-C) ends git as a stop does, not waited for, and raises."""
        chunks: list[bytes] = []
        try:
            while not stop and (chunk := os.read(self.out, 1 << 20)):
                chunks.append(chunk)
        except BaseException:
            stop = True
            raise
        finally:
            os.close(self.out)
            status = end_tree(self.pid, self._reaped) if stop else os.waitpid(self.pid, 0)[1]
        return os.waitstatus_to_exitcode(status), b"" if stop else b"".join(chunks)

    def _reaped(self) -> int | None:
        """git's wait status once it has exited (reaped), else None."""
        done, status = os.waitpid(self.pid, os.WNOHANG)
        return status if done else None


def end_tree(pid: int, reaped: Callable[[], int | None], timeout: float = 1.0) -> int:
    """End child `pid` (not reaped yet) with its descendants, what git started (a submodule's
    git, an fsmonitor hook): SIGTERM to each, then SIGKILL to what is left once `pid` has
    exited, or after `timeout` s (also at a Ctrl-C meanwhile). `reaped()` reaps `pid` if it has
    exited and gives its status, else None; `pid` is reaped on return, its status returned.
    Descendants are found through Linux's /proc before git is signalled (once git exits they
    are init's); without /proc, git alone is signalled. No os.waitid (CPython has none on macOS)."""
    import signal
    import time

    tree = _descendants(pid, {})
    born = _start_time(pid)  # "" without /proc
    ended = None
    try:
        _signal(pid, tree, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while (ended := reaped()) is None and time.monotonic() < deadline:
            time.sleep(0.002)
            _signal(None, _descendants(pid, tree), signal.SIGTERM)  # started meanwhile
    finally:  # what is left is killed, git too if it has not exited (its pid is its own)
        if ended is None and born and _start_time(pid) != born:
            ended = _LOST  # reaped by a reaped() a Ctrl-C cut short: its pid may be another's
        _descendants(pid if ended is None else None, tree)
        _signal(pid if ended is None else None, tree, signal.SIGKILL)
        while ended is None:
            time.sleep(0.001)
            try:
                ended = reaped()
            except ChildProcessError:  # as above, where no /proc tells
                ended = _LOST
    return ended


_LOST = 9  # the wait status end_tree gives for a git reaped by a call cut short: killed (SIGKILL)


def _signal(pid: int | None, tree: dict[int, str], sig: int) -> None:
    """`sig` to child `pid` (unreaped: an exited one is still there to signal), then to each
    process of `tree` (pid: start time) that is still that process. git first: an fsmonitor
    hook ended before git is signalled lets git start the hook again (its v1 after a failed v2),
    a process no one would find (once git exits, it is init's)."""
    if pid is not None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:  # reaped by a call cut short (no /proc to tell): see end_tree
            pass
    for p, started in tree.items():
        if _start_time(p) == started:  # running, its pid not taken by another process since
            try:
                os.kill(p, sig)
            except OSError:  # ended just now
                pass


def _descendants(pid: int | None, tree: dict[int, str]) -> dict[int, str]:
    """The descendants of `pid` (unreaped: once reaped, its pid may be another's) and of
    `tree`'s processes, recursively, that `tree` does not hold yet, added to it (pid: start
    time; Linux /proc); none where /proc is not there."""
    found: dict[int, str] = {}
    todo = [*tree] if pid is None else [pid, *tree]
    while todo:
        parent = todo.pop()
        if parent != pid and _start_time(parent) != tree.get(parent, found.get(parent)):
            continue  # ended since: its pid may be another process's now
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:  # ended, or no /proc
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            for kid in kids:
                if kid not in tree and kid not in found and (started := _start_time(kid)):
                    found[kid] = started
                    todo.append(kid)
    tree.update(found)
    return found


def _start_time(pid: int) -> str:
    """When process `pid` started (/proc/PID/stat's clock ticks since boot); "" once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return fields[19].decode() if len(fields) > 19 else ""


_PROGRAMS: dict[str, str] = {}  # PATH -> the git posix_spawnp would run from it


def _git_program() -> str | None:
    """The git that posix_spawnp would find on PATH, found once per PATH (spawned by its path,
    the child is spared a failed exec per folder before git's); None: let posix_spawnp look."""
    path = os.environ.get("PATH", os.defpath)
    if path not in _PROGRAMS:
        for folder in path.split(os.pathsep):
            if not os.path.isabs(folder):
                return None  # found relative to the current folder, which may change
            candidate = os.path.join(folder, "git")
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                _PROGRAMS[path] = candidate
                break
        else:
            return None
    return _PROGRAMS[path]


def _enlarge(fd: int) -> None:
    """Let a pipe hold 1 MiB (Linux F_SETPIPE_SZ); elsewhere it keeps its size."""
    try:
        import fcntl
    except ImportError:
        return
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
        except OSError:  # above /proc/sys/fs/pipe-max-size: keep the default
            pass


def git_out(args: Sequence[str], cwd: str | os.PathLike[str] | None = None, **kw: object) -> str:
    """Run git and return its stdout as stripped text."""
    return git(args, cwd, **kw).stdout.decode(errors="replace").strip()  # type: ignore[arg-type]
