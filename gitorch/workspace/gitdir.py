"""Reading a repo's git directory directly (standard library only: the hook path uses it)."""

from __future__ import annotations

import os
from errno import EBADF, ELOOP, ENOENT, ENOTDIR
from stat import S_ISDIR, S_ISREG

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path  # made only where asked for: `ws snapshot` loads no pathlib (P5)

_MARKERS = (
    ("rebase-merge", "rebase"),
    ("rebase-apply", "rebase"),
    ("MERGE_HEAD", "merge"),
    ("CHERRY_PICK_HEAD", "cherry-pick"),
    ("REVERT_HEAD", "revert"),
    ("BISECT_LOG", "bisect"),
)


def git_dir(worktree: Path) -> Path | None:
    """The git directory of a work tree (`.git` may be a file naming it, as in worktrees)."""
    found = git_dir_text(str(worktree))
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


def git_dir_text(worktree: str) -> str | None:
    """git_dir for a work tree given as text, answered with os.path (no Path made: `ws snapshot`
    asks for each repo)."""
    dot = os.path.join(worktree, ".git")
    if os.path.isdir(dot):
        return dot
    try:
        with open(dot, encoding="utf-8") as f:
            text = f.read().strip()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    target = text[len("gitdir:"):].strip()
    return target if os.path.isabs(target) else os.path.join(worktree, target)


def in_progress(gitdir: Path | str | None) -> str | None:
    """Which operation git left unfinished (merge, rebase, …), from its marker files."""
    if gitdir is None:
        return None
    folder = str(gitdir)  # joined as text: six Path objects per repo were ~3% of `ws snapshot`
    try:  # one listing, not a stat per marker (~1.3 M instructions of a 20-repo `ws snapshot`)
        names: set[str] | None = set(os.listdir(folder))
    except OSError:
        names = None  # (a folder that cannot be listed: each marker looked for as before)
    for marker, kind in _MARKERS:
        if (names is None or marker in names) and exists(os.path.join(folder, marker)):
            return kind  # (listed and there: a dangling symlink is not a marker)
    return None


def exists(path: str) -> bool:
    """Path(path).exists() without a Path: False where it is missing (or a folder on the way
    is a file, or a symlink loops), any other OSError raised, as pathlib does."""
    return _mode(path) is not None


def is_dir(path: str) -> bool:
    """Path(path).is_dir() without a Path (errors as `exists`)."""
    mode = _mode(path)
    return mode is not None and S_ISDIR(mode)


def is_file(path: str) -> bool:
    """Path(path).is_file() without a Path (errors as `exists`)."""
    mode = _mode(path)
    return mode is not None and S_ISREG(mode)


def _mode(path: str) -> int | None:
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno in (ENOENT, ENOTDIR, EBADF, ELOOP):  # pathlib's _IGNORED_ERRNOS
            return None
        raise
    except ValueError:  # an embedded NUL: pathlib says None too
        return None



def common_dir(gitdir: Path) -> Path:
    """The common git directory (a linked worktree's git dir names it in `commondir`)."""
    try:
        rel = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return gitdir
    from pathlib import Path

    target = Path(rel)
    return target if target.is_absolute() else (gitdir / target)


def head_of(gitdir: Path) -> str | None:
    """HEAD as `branch` or `detached@<sha12>`, read from the file (no git process)."""
    try:
        text = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if text.startswith("ref: refs/heads/"):
        return text[len("ref: refs/heads/"):]
    return f"detached@{text[:12]}" if text else None
