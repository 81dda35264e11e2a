"""The state branch: compare-and-swap writes of trees, and reading segments back.

Every write is new objects plus one compare-and-swap of the ref, rebuilt on the new tip
and retried when another writer got there first. Writers on one machine also queue on a
lock under the scratch directory, so they rarely collide; the CAS is what makes it
correct against anyone else (plain git, a sync, another gitorch).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import msgspec

from gitorch import __version__
from gitorch import events as ev
from gitorch.errors import ConfigError, StateConflict
from gitorch.events import Event
from gitorch.gitcmd import GIT_TRUE
from gitorch.store import layout
from gitorch.store.backend import MODE_BLOB, MODE_TREE, Backend, RefLocked, TreeEntry

MAX_ATTEMPTS = 200
STALE_REF_LOCK = 3.0  # seconds: git holds `<ref>.lock` for milliseconds, never this long
LOCKED_WAIT = 30.0  # give up on a `<ref>.lock` that is neither released nor stale

# A change: path -> blob oid (write) or None (delete).
Changes = dict[str, str | None]


def put_tree(backend: Backend, tree: str | None, changes: Mapping[str, str | None],
             subtrees: Mapping[str, str | None] | None = None) -> str | None:
    """`tree` with `changes` applied, reading and writing only the trees on their paths,
    and its entries `subtrees` (name -> tree, None: removed) set as given. Returns None
    when the result is empty."""
    edits: dict[str, TreeEntry | None] = {
        name: None if oid is None else TreeEntry(name, MODE_TREE, oid)
        for name, oid in (subtrees or {}).items()
    }
    below: dict[str, dict[str, str | None]] = {}
    for path, oid in changes.items():
        head, sep, rest = path.partition("/")
        if sep:
            below.setdefault(head, {})[rest] = oid
        else:
            edits[head] = None if oid is None else TreeEntry(head, MODE_BLOB, oid)
    for name, sub in below.items():
        current = backend.tree_entry(tree, name) if tree else None
        new = put_tree(backend, current.oid if current and current.is_tree else None, sub)
        edits[name] = None if new is None else TreeEntry(name, MODE_TREE, new)
    return backend.edit_tree(tree, edits)


def _folders(paths: Iterable[str]) -> list[str]:
    """Every folder on `paths` (`a`, `a/b` for `a/b/c.json`), each once, outermost first."""
    out: dict[str, None] = {}
    for path in paths:
        parts = path.split("/")[:-1]
        for n in range(1, len(parts) + 1):
            out["/".join(parts[:n])] = None
    return list(out)


def lookup(backend: Backend, tree: str, path: str) -> TreeEntry | None:
    """The entry at `path` under `tree`, or None."""
    entry: TreeEntry | None = None
    current = tree
    for part in path.strip("/").split("/"):
        if entry is not None and not entry.is_tree:
            return None
        entry = backend.tree_entry(current, part)
        if entry is None:
            return None
        current = entry.oid
    return entry


def clear_stale_ref_lock(common_dir: Path, ref: str) -> None:
    """Remove a `<ref>.lock` a killed writer left behind (the caller holds our own lock,
    so no gitorch writer on this machine is between lock and rename)."""
    path = common_dir / (ref + ".lock")
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return
    if age > STALE_REF_LOCK:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


class ReadResult(msgspec.Struct):
    events: list[Event] = msgspec.field(default_factory=list)
    problems: list[str] = msgspec.field(default_factory=list)


# Segments are immutable: decode each blob once per process (with what it could not read).
_segment_cache: dict[str, tuple[list[Event], list[str]]] = {}


def decode_segment(backend: Backend, path: str, oid: str, problems: list[str]) -> list[Event]:
    """The events of one segment; unreadable lines (or a missing blob) are reported in
    `problems` and skipped, the readable ones kept."""
    cached = _segment_cache.get(oid)
    if cached is None:
        found: list[Event] = []
        bad: list[str] = []
        try:
            data = backend.read_blob(oid)
        except Exception as exc:  # a missing object in a damaged repo: report, keep the rest
            problems.append(f"{path}: cannot read segment ({exc})")
            return []
        # An event written without a session (by hand, by another tool) decodes with the
        # reader's own session id: give it the session folder it was found in instead.
        mine = ev.default_session()
        parts = path.split("/")
        owner = parts[-3] if len(parts) >= 5 and parts[0] == layout.SESSIONS else None
        if owner == layout.safe_name(mine):
            owner = None
        for n, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                e = ev.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
                bad.append(f"{path}:{n}: unreadable event skipped ({exc})")
                continue
            found.append(msgspec.structs.replace(e, session=owner) if owner and e.session == mine else e)
        cached = _segment_cache[oid] = (found, bad)
    problems.extend(cached[1])
    return cached[0]


def read_segments(backend: Backend, root_tree: str) -> ReadResult:
    """Every event under `sessions/` of a root tree (unsorted, possibly duplicated)."""
    result = ReadResult()
    sessions = lookup(backend, root_tree, layout.SESSIONS)
    if sessions is None:
        return result
    if not sessions.is_tree:
        result.problems.append(f"{layout.SESSIONS}: expected a directory, found a file")
        return result
    for path, entry in backend.walk(sessions.oid, layout.SESSIONS + "/"):
        if not path.endswith(".jsonl"):
            result.problems.append(f"{path}: not an event segment (ignored)")
            continue
        result.events.extend(decode_segment(backend, path, entry.oid, result.problems))
    return result


def check_ref_free(common_dir: Path, ref: str) -> None:
    """Before creating `ref`: no existing ref is a folder of it or inside it (git refs are
    paths: a branch `orch` and a branch `orch/state` cannot both exist)."""
    try:
        packed = (common_dir / "packed-refs").read_text(errors="replace")
    except OSError:
        packed = ""
    parts = ref.split("/")
    for n in range(3, len(parts)):  # refs/heads/<prefix>
        prefix = "/".join(parts[:n])
        if (common_dir / prefix).is_file() or f" {prefix}\n" in packed:
            short, other = ref.removeprefix("refs/heads/"), prefix.removeprefix("refs/heads/")
            raise ConfigError(
                f"cannot create {short}: the branch '{other}' exists, and git cannot hold both "
                f"'{other}' and '{short}'",
                hint=f"name the state branch otherwise: `git orch config set state_branch "
                f"{short.replace('/', '-')}`",
            )
    if (common_dir / ref).is_dir() or f" {ref}/" in packed:
        raise ConfigError(f"cannot create {ref.removeprefix('refs/heads/')}: branches exist under it",
                          hint="name the state branch otherwise: `git orch config set state_branch NAME`")


def _is_bare_line(line: str) -> bool:
    """A config line that sets `bare` true, as git reads a boolean: `bare` alone, or `= true`,
    `yes`, `on` or `1` (any case and spacing, a `;` or `#` comment after it). Not section-aware:
    a `bare` set true in another section counts too (a refusal that was not needed, never a
    write that should have been refused)."""
    key, eq, value = line.split(";", 1)[0].split("#", 1)[0].partition("=")
    if key.strip().lower() != "bare":
        return False
    return not eq or value.strip().lower() in GIT_TRUE


def check_not_checked_out(common_dir: Path, ref: str) -> None:
    """Refuse to move `ref` while a work tree has it checked out: its files and index would
    silently fall behind, and the next `git commit -a` there would undo the state.

    Reads the HEAD files (main and linked work trees): no git call."""
    try:  # each linked work tree's folder (what glob("*/HEAD") finds, without a pattern)
        with os.scandir(common_dir / "worktrees") as entries:
            heads = [Path(e.path, "HEAD") for e in entries if e.is_dir()]
    except OSError:
        heads = []
    try:
        config = (common_dir / "config").read_text(errors="replace")
        bare = any(_is_bare_line(line) for line in config.splitlines())
    except OSError:
        bare = False
    if not bare:  # a bare repository's HEAD has no work tree to fall behind
        heads.insert(0, common_dir / "HEAD")
    for head in heads:
        try:
            text = head.read_text(errors="replace").strip()
        except OSError:
            continue
        if text == f"ref: {ref}":
            where = common_dir.parent
            if head.parent != common_dir:  # a linked work tree: its gitdir file names it
                try:
                    where = Path((head.parent / "gitdir").read_text().strip()).parent
                except OSError:
                    where = head.parent
            raise StateConflict(
                f"{ref} is checked out (in {where}); gitorch will not move a branch under a "
                "work tree",
                hint="check out another branch there (`git switch -`); browse the state with "
                f"`git orch events`, `git show {ref.removeprefix('refs/heads/')}:README.md` or "
                "`git worktree add --detach`",
            )


class StateBranch:
    """One state branch (`ref`) of one repository, written with compare-and-swap."""

    def __init__(self, backend: Backend, ref: str, common_dir: Path) -> None:
        self.backend = backend
        self.ref = ref
        self.common_dir = common_dir
        self._good_markers: dict[str, layout.Marker] = {}  # blob id -> the marker it holds

    # --- the format marker -----------------------------------------------------------
    def check_marker(self, root_tree: str) -> layout.Marker:
        """The branch's format marker; refuse a branch written by a newer gitorch, or one
        that is not ours."""
        entry = lookup(self.backend, root_tree, layout.MARKER)
        if entry is not None and entry.oid in self._good_markers:
            return self._good_markers[entry.oid]
        where = f"{self.ref}:{layout.MARKER}"
        if entry is None or entry.is_tree:
            raise StateConflict(
                f"{self.ref} exists but has no {layout.MARKER}: it is not a gitorch state branch",
                hint="set state_branch to another name (git config orch.stateBranch) or move that branch",
            )
        try:
            from gitorch.store.blobcache import read_cached

            marker = msgspec.json.decode(read_cached(self.backend, entry.oid), type=layout.Marker)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise StateConflict(f"{where}: unreadable format marker ({exc})") from None
        if marker.format != layout.FORMAT:
            raise StateConflict(f"{where}: format '{marker.format}' is not {layout.FORMAT}")
        if marker.schema_version > layout.READS_SCHEMA:
            raise StateConflict(
                f"{where}: state written by a newer gitorch (schema_version "
                f"{marker.schema_version}; this gitorch {__version__} knows {layout.READS_SCHEMA})",
                hint="upgrade gitorch; this one will not rewrite newer state",
            )
        self._good_markers[entry.oid] = marker
        return marker

    def marker_blob(self, schema: int = layout.SCHEMA_VERSION, created: str = "") -> str:
        """A format marker saying `schema`; `created` kept from the marker it raises."""
        marker = layout.Marker(schema_version=schema, created=created or ev.now(), gitorch=__version__)
        return self.backend.write_blob(msgspec.json.format(msgspec.json.encode(marker)) + b"\n")

    # --- writing ---------------------------------------------------------------------
    def update(
        self,
        build: Callable[[str | None], Changes],
        message: str | Callable[[], str],
        *,
        extra_parents: Iterable[str] = (),
        seal: Callable[[Mapping[str, str]], Changes] | None = None,
        schema: int = layout.SCHEMA_VERSION,
    ) -> str | None:
        """Apply the changes `build(root_tree)` returns on top of the current tip, in one
        compare-and-swap, rebuilding and retrying while other writers move the ref.
        `seal(trees)`: changes made from the resulting sessions/ and runs/ trees (name ->
        tree id, "" when none), added to the same commit (the run index's seal names the
        trees it describes). `message` may be a function, asked after each build (it can
        describe what the build found). `schema`: the marker the changes need at least (a lower
        one is raised in the same commit). Returns the new tip (the old one when nothing changed)."""
        check_not_checked_out(self.common_dir, self.ref)
        locked_since: float | None = None
        for attempt in range(MAX_ATTEMPTS):
            tip = self.backend.read_ref(self.ref)
            if tip is None:
                check_ref_free(self.common_dir, self.ref)
            base_tree = self.backend.read_commit(tip).tree if tip else None
            if base_tree is not None:
                self._read_small_files(base_tree)
            marker = self.check_marker(base_tree) if base_tree is not None else None
            changes = build(base_tree)
            if marker is None:
                changes[layout.MARKER] = self.marker_blob(schema)
            elif marker.schema_version < schema and layout.MARKER not in changes:
                changes[layout.MARKER] = self.marker_blob(schema, marker.created)
            parents = [tip] if tip else []
            parents += [p for p in extra_parents if p not in parents]
            new_tree = self._put(base_tree, changes, seal)
            if new_tree is None:
                new_tree = self.backend.write_tree([])
            if new_tree == base_tree and len(parents) <= 1:
                return tip
            text = message() if callable(message) else message
            commit = self.backend.write_commit(new_tree, parents, text)
            self._clear_stale_ref_lock()
            try:
                if self.backend.update_ref(self.ref, commit, tip, text.splitlines()[0]):
                    return commit
            except RefLocked:
                # Held for a second already: a busy foreign git, or a writer killed while
                # holding it (cleared once it is STALE_REF_LOCK old).
                locked_since = locked_since or time.monotonic()
                if time.monotonic() - locked_since > LOCKED_WAIT:
                    raise StateConflict(
                        f"{self.ref} stays locked by another writer",
                        hint=f"if no git process runs, remove {self.common_dir / (self.ref + '.lock')}",
                    ) from None
                continue
            # Someone else moved the ref: rebuild on the new tip (jitter avoids lockstep).
            import random

            time.sleep(random.uniform(0, min(0.05, 0.001 * (attempt + 1))))
        raise StateConflict(f"could not update {self.ref}: it kept moving ({MAX_ATTEMPTS} attempts)")

    def _put(self, base: str | None, changes: Changes,
             seal: Callable[[Mapping[str, str]], Changes] | None) -> str | None:
        """The new root tree; with `seal`, sessions/ and runs/ are built first (no tree is
        written that the commit does not hold)."""
        if base is not None:  # the folders on the changed paths, read at once (CLI backend)
            self.backend.prefetch_trees(base, _folders(changes))
        if seal is None:
            return put_tree(self.backend, base, changes)
        rest: Changes = {}
        below: dict[str, Changes] = {layout.SESSIONS: {}, layout.RUNS: {}}
        for path, oid in changes.items():
            head, sep, tail = path.partition("/")
            if sep and head in below:
                below[head][tail] = oid
            else:
                rest[path] = oid
        subtrees: dict[str, str | None] = {}
        oids: dict[str, str] = {}
        for name, sub in below.items():
            current = self.backend.tree_entry(base, name) if base else None
            old = current.oid if current is not None and current.is_tree else None
            new = put_tree(self.backend, old, sub) if sub else old
            if sub:
                subtrees[name] = new
            oids[name] = new or ""
        rest.update(seal(oids))
        return put_tree(self.backend, base, rest, subtrees)

    def _read_small_files(self, tree: str) -> None:
        """The marker, index.json and recent.json of `tree` that a commit reads one after
        the other, asked for at once (one round trip to the CLI backend's git) and kept for
        blobcache.read_cached; those read before are not asked again."""
        from gitorch.store import blobcache

        wanted = []
        for name in (layout.MARKER, layout.INDEX, layout.RECENT):
            entry = self.backend.tree_entry(tree, name)
            if entry is not None and not entry.is_tree and not blobcache.is_kept(entry.oid) \
                    and entry.oid not in self._good_markers:
                wanted.append(entry.oid)
        if len(wanted) > 1:
            for oid, data in zip(wanted, self.backend.read_blobs(wanted), strict=True):
                blobcache.keep(oid, data)

    def _clear_stale_ref_lock(self) -> None:
        clear_stale_ref_lock(self.common_dir, self.ref)

    # --- reading ---------------------------------------------------------------------
    def tip(self) -> str | None:
        return self.backend.read_ref(self.ref)

    def root_tree(self) -> str | None:
        tip = self.tip()
        return self.backend.read_commit(tip).tree if tip else None

    def read_file(self, path: str) -> bytes | None:
        tree = self.root_tree()
        if tree is None:
            return None
        entry = lookup(self.backend, tree, path)
        if entry is None or entry.is_tree:
            return None
        return self.backend.read_blob(entry.oid)

    def list_dir(self, path: str) -> list[str]:
        tree = self.root_tree()
        if tree is None:
            return []
        if path.strip("/") in ("", "."):
            return sorted(e.name for e in self.backend.read_tree(tree))
        entry = lookup(self.backend, tree, path)
        if entry is None or not entry.is_tree:
            return []
        return sorted(e.name for e in self.backend.read_tree(entry.oid))
