"""git's config for a run, read in one git process started at entry (issue 15, P2).

A run asks git's config twice: its `orch.*` settings (config/files.read_git_config, before
the run lock) and what the state store's writes depend on (store/cli_backend: user.name,
user.email, how loose objects are written). `start()` (engine/prestart, beside `git status`)
asks for both in one `git config --get-regexp` while Python imports, and reads the repo
config on the state branch (`repo_config_read`: config/files takes it for the default
branch). A reader takes the records it wants from that answer with `output()` when the
process ran for the reader's repository (the git dir the early rev-parse found there,
gitorch.repo), else asks git itself as before; either way the bytes are what its own
`git config -z --get-regexp` would print.
`forget()` drops the answer (a run that waited for the lock reads the config again).
Standard library only.
"""

from __future__ import annotations

import os

from gitorch.gitcmd import git_popen

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from gitorch.gitcmd import GitProcess

# every key a run reads from git's config: orch.*, then the store's (store/loose.CONFIG_KEYS)
PATTERN = (r"^orch\.|^(user|author|committer)\.(name|email)$"
           r"|^(core\.(sharedrepository|fsync|fsyncobjectfiles|compression|loosecompression)|extensions\.objectformat)$")

# the repo config on the state branch by its default name (config/model's Settings default;
# store/layout.REPO_CONFIG), read beside: config/read waits for it otherwise (2-10 ms)
STATE_BRANCH, REPO_CONFIG = "orch/state", "config.toml"

_started: tuple[str, GitProcess] | None = None  # (directory, `git config` running there)
_answer: tuple[str, list[bytes]] | None = None  # (directory, its records)
_repo_config: tuple[str, GitProcess] | None = None  # (directory, `git cat-file blob` there)


def start() -> None:
    """Start `git config -z --get-regexp PATTERN` and `git cat-file blob` of the repo config
    on the default state branch in the current directory (never raises)."""
    global _started, _repo_config
    try:
        cwd = os.getcwd()
        _started = (cwd, git_popen(["config", "-z", "--get-regexp", PATTERN]))
        _repo_config = (cwd, git_popen(["cat-file", "blob", f"refs/heads/{STATE_BRANCH}:{REPO_CONFIG}"]))
    except OSError:
        pass


def repo_config_read(git_dir: str, branch: str) -> GitProcess | None:
    """The early `git cat-file blob` of `branch`'s repo config when it ran for the repository
    at `git_dir` and `branch` is the default; else None (and it is stopped). Used once."""
    global _repo_config
    started, _repo_config = _repo_config, None
    if started is None:
        return None
    from gitorch.repo import found_in

    where, proc = started
    if branch == STATE_BRANCH and found_in(where) == git_dir:
        return proc
    proc.kill()
    proc.wait()
    return None


def output(git_dir: str, wanted: Callable[[str], bool]) -> bytes | None:
    """What `git config -z --get-regexp` prints for the keys `wanted` accepts (in git's order),
    from the early read when it ran for the repository at `git_dir`; else None."""
    global _started, _answer
    if _started is not None:
        where, proc = _started
        _started = None
        out = proc.communicate()[0]
        # exit 1: no key matched (nothing printed); any other failure: not an answer
        _answer = (where, out.split(b"\0")[:-1]) if proc.returncode in (0, 1) else None
    if _answer is None:
        return None
    from gitorch.repo import found_in

    if found_in(_answer[0]) != git_dir:
        return None
    kept = [r for r in _answer[1] if wanted(r.partition(b"\n")[0].decode(errors="replace"))]
    return b"".join(r + b"\0" for r in kept)


def forget() -> None:
    """Drop the early answers (and reap their processes): later readers ask git again."""
    global _started, _answer, _repo_config
    for started in (_started, _repo_config):
        if started is not None:
            started[1].communicate()
    _started, _answer, _repo_config = None, None, None
