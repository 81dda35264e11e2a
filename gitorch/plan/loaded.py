"""A loaded plan: the valid plan, where it came from, its digest (what gitorch.plan.load
returns, from the plan cache or from plan/loader.py's full read)."""

from __future__ import annotations

import functools
from pathlib import Path

import msgspec

from gitorch.plan.model import Plan


class LoadedPlan(msgspec.Struct, frozen=True, dict=True):  # dict: the cached digest
    """A valid plan and where it came from."""

    plan: Plan
    file: Path  # the main plan file
    files: list[Path]  # the main file, then every included file, in load order
    root: Path  # the project root: the repository root, or project.root under it
    display: str = ""  # how messages name the main file (relative to the repository root)
    known_digest: str = ""  # the digest, when known already (the cache); not in the repr

    def __repr__(self) -> str:
        return (f"LoadedPlan(plan={self.plan!r}, file={self.file!r}, files={self.files!r}, "
                f"root={self.root!r}, display={self.display!r})")

    @functools.cached_property
    def digest(self) -> str:
        """sha256 of the normalized plan's canonical JSON: same plan, same digest (computed
        when first asked: validating a plan does not need it)."""
        return self.known_digest or plan_digest(self.plan)


def plan_digest(plan: Plan) -> str:
    """sha256 hex of the plan's canonical JSON (Struct fields in declaration order, so the
    file format and the order of keys in it do not matter; the order of commands does)."""
    from gitorch import digests

    return digests.sha256(msgspec.json.encode(plan)).hexdigest()


def display_of(base: Path, path: Path) -> str:
    """How messages name `path`: relative to the repository root `base` when under it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)

