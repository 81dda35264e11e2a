"""Packing the loose objects the state branch leaves, as `git gc --auto` would, without it.

Every append writes a few loose objects (a segment, the trees on its path, a commit): months
of runs leave hundreds of thousands of small files in `.git/objects`, slow to read and to
copy. After a commit the store calls `maybe_pack`: it estimates the loose objects the way
git does (the files in one of the 256 fan-out folders, times 256, so the check costs one
directory listing) and past `THRESHOLD` (git's own `gc.auto` default) runs `git repack -d`,
which packs them and drops the loose copies, and `git repack -a -d` when packs pile up past
`PACK_LIMIT` (git's `gc.autoPackLimit`). Not `git gc --auto`: that runs the user's
`pre-auto-gc` hook and prunes unreachable objects on its own schedule. One packer at a time
(a lock in the scratch folder); a failure never fails the write that triggered it.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.gitcmd import git, git_background

THRESHOLD = 6700  # loose objects; GITORCH_PACK_LOOSE overrides (0: never)
PACK_LIMIT = 50
_SAMPLE = "17"  # the fan-out folder git samples for gc --auto


def threshold() -> int:
    try:
        return int(os.environ.get("GITORCH_PACK_LOOSE", THRESHOLD))
    except ValueError:
        return THRESHOLD


def loose_estimate(common_dir: Path) -> int:
    """About how many loose objects the repository holds (git's own estimate)."""
    try:
        names = os.listdir(common_dir / "objects" / _SAMPLE)
    except OSError:
        return 0
    return sum(1 for n in names if len(n) >= 38 and not n.startswith("tmp_")) * 256


def pack_count(common_dir: Path) -> int:
    try:
        return sum(1 for n in os.listdir(common_dir / "objects" / "pack") if n.endswith(".pack"))
    except OSError:
        return 0


def maybe_pack(common_dir: Path, scratch: Path, *, wait: bool = False) -> str | None:
    """Pack when loose objects or packs passed their limits; what was started, or None.

    git packs in the background (`wait`: in the foreground), as `git gc --auto` detaches:
    the write that crossed the threshold returns at once instead of paying for packing
    the objects of the last few hundred writes. The packer holds the pack lock until it
    ends (`wait_for_packer`)."""
    limit = threshold()
    if limit <= 0:
        return None
    loose = loose_estimate(common_dir) >= limit
    packs = pack_count(common_dir) > PACK_LIMIT
    if not loose and not packs:
        return None
    from gitorch.store.locks import funlock, try_flock

    (scratch / "locks").mkdir(parents=True, exist_ok=True)
    with open(scratch / "locks" / "pack.lock", "ab") as fh:
        if not try_flock(fh):
            return None  # another process packs right now
        args = ["repack", "-d", "-q"] + (["-a"] if packs else [])
        env = {"GIT_DIR": str(common_dir)}
        if not wait:
            # git inherits the locked file (closing ours keeps the lock): held until git ends
            started = git_background(args, common_dir, env=env, keep_fd=fh.fileno())
            return " ".join(args) if started else None
        try:
            done = git(args, common_dir, check=False, env=env).returncode == 0
        finally:
            funlock(fh)
        return " ".join(args) if done else None


def wait_for_packer(scratch: Path) -> None:
    """Return once no packer started by `maybe_pack` runs (it holds the pack lock)."""
    from gitorch.store.locks import funlock, try_flock

    path = scratch / "locks" / "pack.lock"
    if not path.exists():
        return
    with open(path, "ab") as fh:
        try_flock(fh, blocking=True)
        funlock(fh)
