"""State as a tarball, for sessions that cannot push (export) and for bringing it back (import).

The tarball holds `metadata.json` (repo identity, time, gitorch version, tips),
`state.bundle` (a git bundle of the state branch and notes: exact objects, so an import
merges exactly like a sync) and `events.jsonl` (the events, for people and other tools).
Import merges into the local state as a union; it never replaces anything.
"""

from __future__ import annotations

import io
import os
import socket
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from gitorch import __version__
from gitorch import events as ev
from gitorch.errors import StateConflict, UsageError
from gitorch.gitcmd import git
from gitorch.store.state import StateStore
from gitorch.store.sync import MergeResult, merge_notes, merge_state

FORMAT = "gitorch-state-export"
IMPORT_STATE, IMPORT_NOTES = "refs/orch/import/state", "refs/orch/import/notes"


class Metadata(msgspec.Struct, kw_only=True):
    format: str = FORMAT
    schema_version: int = 1
    gitorch: str = __version__
    exported: str = ""
    host: str = ""
    repo: str = ""  # the repository's path where it was exported
    remotes: dict[str, str] = {}
    root_commits: list[str] = []  # identity of the code history (first commits)
    branch: str = ""
    state_tip: str | None = None
    notes_ref: str = ""
    notes_tip: str | None = None
    events: int = 0


def _identity(store: StateStore) -> tuple[dict[str, str], list[str]]:
    cwd = store.repo.cwd
    remotes: dict[str, str] = {}
    for name in git(["remote"], cwd).stdout.decode().split():
        url = git(["remote", "get-url", name], cwd, check=False).stdout.decode().strip()
        remotes[name] = url
    proc = git(["rev-list", "--max-parents=0", "HEAD"], cwd, check=False)
    roots = proc.stdout.decode().split() if proc.returncode == 0 else []
    return remotes, roots


def default_name(store: StateStore) -> str:
    base = (store.repo.root or store.repo.git_dir).name.removesuffix(".git") or "repo"
    return f"orch-state-{base}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def _check_out(out: Path) -> None:
    """Refuse an output path that cannot be a file, before any work is done."""
    if out.is_dir():
        raise UsageError(f"{out}: is a directory; give a file name (-o {out / 'state.tar.gz'})")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{out}: {parent} is not a directory")
            break


def export(store: StateStore, out: Path) -> Metadata:
    """Write the state (after folding in the journal) to `out` as a .tar.gz.

    Written beside `out` and renamed into place, so an interrupted export never leaves a
    truncated tarball (nor spoils an earlier one at that path)."""
    _check_out(out)
    store.flush()
    tip = store.tip()
    if tip is None:
        raise UsageError("nothing to export: this repository has no gitorch state yet")
    notes_tip = store.backend.read_ref(store.notes_ref)
    events = store.events()
    remotes, roots = _identity(store)
    meta = Metadata(
        exported=ev.now(), host=socket.gethostname(), repo=str(store.repo.root or store.repo.git_dir),
        remotes=remotes, root_commits=roots, branch=store.branch, state_tip=tip,
        notes_ref=store.notes_ref, notes_tip=notes_tip, events=len(events),
    )
    with tempfile.TemporaryDirectory(dir=store.scratch()) as tmp:
        bundle = Path(tmp) / "state.bundle"
        refs = [store.ref] + ([store.notes_ref] if notes_tip else [])
        git(["bundle", "create", "--quiet", str(bundle), *refs], store.repo.cwd)
        partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            with tarfile.open(partial, "w:gz") as tar:
                _add(tar, "metadata.json", msgspec.json.format(msgspec.json.encode(meta)) + b"\n")
                tar.add(bundle, arcname="state.bundle")
                _add(tar, "events.jsonl", ev.encode_lines(events))
            os.replace(partial, out)
        except OSError as exc:
            raise UsageError(f"{out}: cannot write the export: {exc.strerror or exc}") from None
        finally:
            partial.unlink(missing_ok=True)
    return meta


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def import_(store: StateStore, path: Path, *, force: bool = False) -> tuple[Metadata, MergeResult]:
    """Merge the state in the tarball at `path` into this repository's state.

    An export of another project (no root commit in common) is refused unless `force`:
    its runs and notes would describe commits this repository does not have."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r:gz") as tar:
            meta_file = tar.extractfile("metadata.json")
            bundle_file = tar.extractfile("state.bundle")
            if meta_file is None or bundle_file is None:
                raise KeyError("state.bundle")
            meta = msgspec.json.decode(meta_file.read(), type=Metadata)
            bundle_data = bundle_file.read()
    except (tarfile.TarError, KeyError, OSError, EOFError, zlib.error, msgspec.DecodeError,
            msgspec.ValidationError) as exc:
        raise UsageError(f"{path}: not a gitorch state export ({exc})") from None
    if meta.format != FORMAT:
        raise UsageError(f"{path}: format '{meta.format}' is not {FORMAT}")
    if meta.schema_version > 1:
        raise StateConflict(f"{path}: exported by a newer gitorch ({meta.gitorch}); upgrade to import it")
    _remotes, roots = _identity(store)
    if not force and roots and meta.root_commits and not set(roots) & set(meta.root_commits):
        raise UsageError(
            f"{path} was exported from another repository ({meta.repo}): no root commit in common",
            hint="`git orch import --force` merges it anyway",
        )
    store.flush()
    with tempfile.TemporaryDirectory(dir=store.scratch()) as tmp:
        bundle = Path(tmp) / "state.bundle"
        bundle.write_bytes(bundle_data)
        specs = [f"+refs/heads/{meta.branch}:{IMPORT_STATE}"]
        if meta.notes_tip:
            specs.append(f"+{meta.notes_ref}:{IMPORT_NOTES}")
        proc = git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", str(bundle), *specs],
                   store.repo.cwd, check=False)
        if proc.returncode != 0:
            said = proc.stderr.decode(errors="replace").strip().splitlines()
            raise UsageError(f"{path}: not a gitorch state export (its state.bundle does not read: "
                             f"{said[0] if said else 'git fetch failed'})")
    result = merge_state(store, store.backend.read_ref(IMPORT_STATE))
    result.notes = merge_notes(store, store.backend.read_ref(IMPORT_NOTES) if meta.notes_tip else None)
    return meta, result
