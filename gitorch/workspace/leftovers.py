"""What a failed rollback left behind, kept on the state branch until it is resolved.

When undoing a failed apply fails too, the files still changed are recorded with their
pre-images (the bytes before the apply), with the clones made and the heads moved, under
`workspace/leftovers.json`. `ws observe` reports each as drift (exit 1) until it is resolved;
`ws repair` finishes the rollback from the record; `ws teardown` restores them first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec

from gitorch.errors import StateConflict
from gitorch.gitcmd import git
from gitorch.workspace.apply import ApplyOutcome, UndoLog

LEFTOVERS_SCHEMA_VERSION = 1


class LeftFile(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    before: bytes | None  # None: the file did not exist before the apply


class LeftHead(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    previous: str  # the branch or commit checked out before the apply


class Leftovers(msgspec.Struct, frozen=True, kw_only=True):
    schema_version: int = LEFTOVERS_SCHEMA_VERSION
    plan_id: str
    error: str = ""
    executed: list[int] = []  # operations the apply did
    rolled_back: list[int] = []  # ... and the ones undone before the undo failed
    files: list[LeftFile] = []
    created: list[str] = []  # clones (and overlay folders such as .cargo/) made by the apply
    heads: list[LeftHead] = []


def from_failed(outcome: ApplyOutcome, log: UndoLog) -> Leftovers:
    """The record of a failed rollback: every operation done and not undone, from the log."""
    remaining = [i for i in outcome.executed if i not in outcome.rolled_back]
    if outcome.failed_operation is not None:
        remaining.append(outcome.failed_operation)
    first: dict[Path, bytes | None] = {}
    for index in sorted(remaining):
        for path, old in log.files.get(index, []):
            first.setdefault(path, old)
    return Leftovers(
        plan_id=outcome.plan_id, error=outcome.error or "", executed=list(outcome.executed),
        rolled_back=list(outcome.rolled_back),
        files=[LeftFile(path=str(p), before=b) for p, b in sorted(first.items())],
        created=sorted(str(log.created[i]) for i in remaining if i in log.created),
        heads=[LeftHead(path=str(log.heads[i][0]), previous=log.heads[i][1])
               for i in sorted(remaining, reverse=True) if i in log.heads])


def encode(record: Leftovers) -> bytes:
    return msgspec.json.encode(record)


def decode(data: bytes) -> Leftovers:
    record = msgspec.json.decode(data, type=Leftovers)
    if record.schema_version > LEFTOVERS_SCHEMA_VERSION:
        raise StateConflict(f"workspace leftovers record has schema version {record.schema_version}; "
                            f"this gitorch reads up to {LEFTOVERS_SCHEMA_VERSION}", hint="upgrade gitorch")
    return record


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def still_left(record: Leftovers) -> list[str]:
    """One line per thing that still differs from before the apply ([]: resolved by hand)."""
    out = [f"{f.path} still differs from before plan {record.plan_id}"
           for f in record.files if _current(Path(f.path)) != f.before]
    out += [f"{c} was created by plan {record.plan_id} and is still there"
            for c in record.created if Path(c).exists()]
    return out


def finish(record: Leftovers) -> list[str]:
    """Finish the rollback: pre-images written back, clones removed, heads moved back."""
    from gitorch.atomic import write_bytes

    done: list[str] = []
    for f in record.files:
        path = Path(f.path)
        if _current(path) == f.before:
            continue
        if f.before is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)  # an overlay's folder removed with it
            write_bytes(path, f.before)
        done.append(f"restored {f.path}")
    for c in record.created:
        if Path(c).exists():
            shutil.rmtree(c)
            done.append(f"removed {c}")
    for head in record.heads:
        git(["checkout", "-q", head.previous], head.path)
        done.append(f"checked out {head.previous} in {head.path}")
    return done
