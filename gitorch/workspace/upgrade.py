"""Schema upgrades of stored workspace records: one registered function per version step.

A record (a snapshot, a workspace plan) carries `schema_version`. A reader of an older
version upgrades the decoded JSON one step at a time (1 -> 2 -> ...), each step a function
registered here for (kind, from_version); a newer version than this gitorch knows is refused,
never rewritten. Fixture records of every past version live in tests/workspace/fixtures_schema/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gitorch.errors import Location, StateConflict

Raw = dict[str, Any]
_STEPS: dict[tuple[str, int], Callable[[Raw], Raw]] = {}
CURRENT = {"snapshot": 2, "workspace plan": 2}


def step(kind: str, from_version: int) -> Callable[[Callable[[Raw], Raw]], Callable[[Raw], Raw]]:
    """Register the function upgrading a `kind` record from `from_version` to the next."""
    def register(fn: Callable[[Raw], Raw]) -> Callable[[Raw], Raw]:
        _STEPS[(kind, from_version)] = fn
        return fn
    return register


def upgrade(kind: str, raw: Raw, where: str | None = None) -> Raw:
    """`raw` brought to the current version of `kind`, step by step; StateConflict (exit 5)
    for a newer version, or an older one with no registered way up."""
    current = CURRENT[kind]
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise StateConflict(f"{kind} has schema_version {version!r}", where=Location(file=where))
    if version > current:
        raise StateConflict(f"{kind} has schema version {version}; this gitorch reads up to {current}",
                            where=Location(file=where), hint="upgrade gitorch")
    while version < current:
        fn = _STEPS.get((kind, version))
        if fn is None:
            raise StateConflict(f"no upgrade of a {kind} from schema version {version}",
                                where=Location(file=where))
        raw = fn(dict(raw))
        version += 1
        raw["schema_version"] = version
    return raw


@step("snapshot", 1)
def _snapshot_1_to_2(raw: Raw) -> Raw:
    """Version 2 names the member folder of each package a repo provides (monorepos)."""
    for repo in raw.get("repos") or []:
        for offer in repo.get("provides") or []:
            offer.setdefault("dir", "")
    return raw


@step("workspace plan", 1)
def _plan_1_to_2(raw: Raw) -> Raw:
    """Version 2's capability preconditions name the provider folder a link points at (the
    repository root for every link a version-1 plan made)."""
    for pre in raw.get("preconditions") or []:
        if pre.get("type") == "capability" and isinstance(pre.get("expected"), dict):
            pre["expected"] = {**pre["expected"], "dir": pre["expected"].get("dir", "")}
    return raw
