"""A task's declared `outputs:` as a git tree: stored with a cache entry, restored on a hit."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gitorch.errors import UsageError
from gitorch.gitcmd import git

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # GITORCH_CACHE_MAX_BYTES overrides
_GLOB = frozenset("*?[")


def max_bytes() -> int:
    text = os.environ.get("GITORCH_CACHE_MAX_BYTES", "")
    return int(text) if text.isdigit() else DEFAULT_MAX_BYTES


def output_files(root: Path, patterns: list[str]) -> list[str]:
    """The files `patterns` name under `root` (a path, a folder's files, or a glob), sorted;
    nothing outside `root` (the plan's paths are checked at load, links are not followed)."""
    top = root.resolve()
    found: set[str] = set()
    for pattern in patterns:
        hits = root.glob(pattern) if _GLOB & set(pattern) else [root / pattern]
        for hit in hits:
            if hit.is_dir():
                files = [p for p in hit.rglob("*") if p.is_file()]
            else:
                files = [hit] if hit.is_file() else []
            for f in files:
                if f.is_symlink() or not f.resolve().is_relative_to(top):
                    continue
                found.add(f.relative_to(root).as_posix())
    return sorted(found)


def store_tree(root: Path, patterns: list[str]) -> str | None:
    """The outputs as a git tree (None when there are none); UsageError over the size limit."""
    files = output_files(root, patterns)
    if not files:
        return None
    size = sum((root / f).stat().st_size for f in files)
    if size > max_bytes():
        raise UsageError(f"outputs are {size} bytes, over the cache's limit of {max_bytes()}",
                         hint="raise GITORCH_CACHE_MAX_BYTES or declare fewer outputs")
    oids = git(["hash-object", "-w", "--stdin-paths", "--no-filters"], root,
               input="".join(f + "\n" for f in files).encode()).stdout.decode().split()
    info = "".join(f"{_mode(root / f)} {oid}\t{f}\n" for f, oid in zip(files, oids, strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(["update-index", "--add", "--index-info"], root, input=info.encode(), env=env)
        return git(["write-tree"], root, env=env).stdout.decode().strip()


def _mode(path: Path) -> str:
    return "100755" if os.access(path, os.X_OK) else "100644"


def restore_tree(root: Path, tree: str, patterns: list[str]) -> int:
    """Write the files of `tree` that the task's `patterns` declare under `root` (overwriting);
    the number of files. Anything else an entry holds (a tampered or foreign entry) is left
    out, as are links and anything under .git."""
    from gitorch.twins import match_paths

    listing = git(["ls-tree", "-r", "-z", "--full-tree", tree], root).stdout.decode(errors="replace")
    regular = sorted(path for meta, _, path in (item.partition("\t") for item in listing.split("\0") if item)
                     if meta.split()[0] in ("100644", "100755") and ".git" not in path.split("/"))
    wanted = match_paths(regular, patterns)
    if not wanted:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(["read-tree", tree], root, env=env)
        git(["checkout-index", "-f", f"--prefix={root}/", "-z", "--stdin"], root, env=env,
            input="".join(p + "\0" for p in wanted).encode())
    return len(wanted)
