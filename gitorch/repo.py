"""Finding the repository gitorch works on (stdlib only: the hook path imports it)."""

from __future__ import annotations

import os
from functools import cached_property

from gitorch.errors import NotARepoError
from gitorch.frozen import Frozen
from gitorch.gitcmd import HEAD, WHERE, git, git_popen  # the call that finds a repository (+ HEAD)
from gitorch.standins import StandIn, import_with, quote_from_bytes

# pathlib imports urllib.parse (and ipaddress) only for Path.as_uri: ~3 ms of every start
# that finds the repository; it gets the function on first use instead (gitorch/standins).
# Also ntpath (~1.7 M instructions, with its tries of nt and _winapi) only for PureWindowsPath,
# and fnmatch (~0.4 M) only for glob() and match(): each loads when one of those first uses it.
import_with("pathlib", {"urllib.parse": StandIn("urllib.parse", quote_from_bytes=quote_from_bytes),
                        "ntpath": StandIn("ntpath"), "fnmatch": StandIn("fnmatch")})
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess


def ensure_dir(path: Path) -> Path:
    """Create `path` (under the git directory) or say clearly why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NotARepoError(
            f"cannot create {path}: {exc.strerror or exc}",
            hint="gitorch keeps locks, its journal, caches and temporary files under "
            "<git dir>/orch: it must be a directory this user can write",
        ) from None
    return path


class Repo(Frozen):
    """A git repository: its work tree (None when bare), git dir and common dir (a frozen
    dataclass's behaviour, gitorch/frozen.py: the hook and every run load no dataclasses)."""

    _fields = ("root", "git_dir", "common_dir")
    root: Path | None
    git_dir: Path
    common_dir: Path

    def __init__(self, root: Path | None, git_dir: Path, common_dir: Path) -> None:
        set_field = object.__setattr__
        set_field(self, "root", root)
        set_field(self, "git_dir", git_dir)
        set_field(self, "common_dir", common_dir)

    @property
    def bare(self) -> bool:
        return self.root is None

    @cached_property
    def scratch(self) -> Path:
        """Machine-local scratch (locks, journal, caches): `<common dir>/orch`, shared by worktrees."""
        return ensure_dir(self.common_dir / "orch")

    @property
    def cwd(self) -> Path:
        """Where to run git commands for this repo."""
        return self.root if self.root is not None else self.git_dir

    def require_worktree(self) -> Path:
        if self.root is None:
            raise NotARepoError(
                f"{self.git_dir} is a bare repository; this command needs a work tree"
            )
        return self.root


# `git rev-parse WHERE` started in the current directory by `start_early` (directory, process,
# whether HEAD was asked too).
_early: tuple[str, GitProcess, bool] | None = None
# HEAD as that rev-parse answered it: (git dir, commit or None before the first commit)
_early_head: tuple[str, str | None] | None = None
# the git dir the early rev-parse found: (directory, git dir)
_early_found: tuple[str, str] | None = None


def start_early(*, head: bool = False) -> None:
    """Start the rev-parse `find_repo` will need for the current directory now, so git runs
    while the CLI imports (the entry point calls it for status, next and explain, prestart for
    a run); `head`: resolve HEAD in the same process (`take_early_head`). Never raises."""
    global _early
    try:
        _early = (os.getcwd(), git_popen([*WHERE, *HEAD] if head else list(WHERE)), head)
    except OSError:
        _early = None


def adopt_early(cwd: str, proc: GitProcess, *, head: bool) -> None:
    """Take `git rev-parse WHERE` (with HEAD when `head`) started in `cwd` by the caller as
    `start_early`'s (engine/prestart starts it before this module loads)."""
    global _early
    _early = (cwd, proc, head)


def _take_early(cwd: Path) -> tuple[int, bytes] | None:
    """The early rev-parse's (exit status, stdout) when it ran in `cwd`, as `git rev-parse
    WHERE` alone would have answered; used once."""
    global _early, _early_head, _early_found
    started, _early = _early, None
    if started is None:
        return None
    where, proc, head = started
    out = proc.communicate()[0]
    if where != str(cwd):
        return None
    status = proc.returncode
    lines_found = out.split(b"\n", 2)
    if len(lines_found) == 3 and lines_found[0] in (b"true", b"false"):
        _early_found = (where, lines_found[1].decode(errors="replace"))
    if head:
        lines = out.split(b"\n")
        # a work tree's four lines, then the commit (exit 0) or nothing (exit 1: no commit
        # yet); anything else (a bare repository, an error) leaves HEAD to be asked again
        if len(lines) == 6 and status == 0 and lines[5] == b"":
            _early_head = (lines[1].decode(errors="replace"), lines[4].decode() or None)
            out = b"\n".join(lines[:4]) + b"\n"
        elif len(lines) == 5 and status == 1 and lines[4] == b"":
            _early_head = (lines[1].decode(errors="replace"), None)
            status = 0
    return status, out


def forget_early() -> None:
    """Drop the early rev-parse (reaped when nobody took it) and what it answered: a later
    command in this process finds the repository and HEAD afresh (cli/entry, at its end)."""
    global _early, _early_head, _early_found
    started, _early, _early_head, _early_found = _early, None, None, None
    if started is not None:
        started[1].communicate()


def found_in(directory: str) -> str | None:
    """The git dir the early rev-parse found in `directory` (after `find_repo` took it), or None."""
    found = _early_found
    return found[1] if found is not None and found[0] == directory else None


def take_early_head(repo: Repo) -> tuple[str | None] | None:
    """HEAD as the early rev-parse found it for `repo` ((commit,), (None,) before the first
    commit), or None when it was not asked there; used once."""
    global _early_head
    found, _early_head = _early_head, None
    if found is None or found[0] != str(repo.git_dir):
        return None
    return (found[1],)


def find_repo(start: str | os.PathLike[str] | None = None) -> Repo:
    """The repository containing `start` (default: the current directory), with one git call
    (the one `start_early` started, when it ran in that directory)."""
    cwd = Path(start) if start is not None else Path.cwd()
    if not cwd.exists():
        raise NotARepoError(f"{cwd}: no such directory")
    early = _take_early(cwd)
    if early is not None:
        return repo_from(cwd, *early)
    proc = git(list(WHERE), cwd, check=False)
    return repo_from(cwd, proc.returncode, proc.stdout)


def repo_from(cwd: Path, status: int, out: bytes) -> Repo:
    """The repository `git rev-parse WHERE` run in `cwd` names (exit `status`, stdout `out`)."""
    lines = out.decode(errors="replace").splitlines()
    if status != 0 and len(lines) < 3:
        raise NotARepoError(
            f"{cwd} is not inside a git repository",
            hint="run `git init` first, or change to your repository",
        )
    bare = lines[0] == "true"
    git_dir = Path(lines[1])
    common = Path(lines[2])
    if not common.is_absolute():
        common = (cwd / common).resolve()
    root = None if bare or len(lines) < 4 else Path(lines[3])
    return Repo(root=root, git_dir=git_dir, common_dir=common)
