"""Git notes on `refs/notes/orch`: short, human-readable results attached to commits.

Written with the same primitives and compare-and-swap as the state branch. A note added
to a commit that already has one is merged as a union of lines (existing lines first,
like git's cat_sort_uniq but keeping the order a person wrote them in), never overwritten.
Reading understands git's fanned-out notes trees (`ab/cdef…`) as well as flat ones.
"""

from __future__ import annotations

import time
from pathlib import Path

from gitorch.errors import StateConflict, UsageError
from gitorch.store.backend import Backend, RefLocked, TreeEntry
from gitorch.store.statebranch import MAX_ATTEMPTS, clear_stale_ref_lock, put_tree


def merge_text(old: str | None, new: str, *, sort: bool = False) -> str:
    """Union of lines: `old`'s lines, then `new`'s lines not already there; sorted (git's
    cat_sort_uniq) when two copies are merged, so every clone converges on one text."""
    lines: list[str] = []
    seen: set[str] = set()
    for line in (old or "").splitlines() + new.splitlines():
        if line.strip() and line not in seen:
            seen.add(line)
            lines.append(line)
    if sort:
        lines.sort()
    return "\n".join(lines) + "\n" if lines else ""


def find_note(backend: Backend, tree: str, commit: str) -> tuple[str, TreeEntry] | None:
    """The (path, entry) of `commit`'s note in a notes tree, flat or fanned out."""
    prefix, rest, current = "", commit, tree
    while rest:
        entries = backend.read_tree(current)
        for e in entries:
            if e.name == rest and not e.is_tree:
                return prefix + e.name, e
        sub = [e for e in entries if e.is_tree and rest.startswith(e.name) and len(e.name) == 2]
        if not sub:
            return None
        prefix, rest, current = prefix + sub[0].name + "/", rest[2:], sub[0].oid
    return None


def all_notes(backend: Backend, tree: str) -> dict[str, tuple[str, str]]:
    """commit -> (path, blob oid) for every note in a notes tree."""
    out: dict[str, tuple[str, str]] = {}
    for path, entry in backend.walk(tree):
        key = path.replace("/", "")
        if len(key) in (40, 64) and all(c in "0123456789abcdef" for c in key):
            out[key] = (path, entry.oid)
    return out


class Notes:
    """One notes ref of one repository."""

    def __init__(self, backend: Backend, ref: str, common_dir: Path | None = None) -> None:
        self.backend = backend
        self.ref = ref
        self.common_dir = common_dir

    def _tree(self, tip: str | None) -> str | None:
        return self.backend.read_commit(tip).tree if tip else None

    def read(self, commit: str) -> str | None:
        tree = self._tree(self.backend.read_ref(self.ref))
        if tree is None:
            return None
        found = find_note(self.backend, tree, commit)
        return self.backend.read_blob(found[1].oid).decode(errors="replace") if found else None

    def add(self, commit: str, text: str) -> str:
        """Merge `text` into `commit`'s note; one compare-and-swap, retried. Returns the tip."""
        if len(commit) not in (40, 64) or any(c not in "0123456789abcdef" for c in commit):
            raise UsageError(f"cannot attach a note to '{commit}': not a full commit id")
        for attempt in range(MAX_ATTEMPTS):
            tip = self.backend.read_ref(self.ref)
            tree = self._tree(tip)
            found = find_note(self.backend, tree, commit) if tree else None
            old = self.backend.read_blob(found[1].oid).decode(errors="replace") if found else None
            merged = merge_text(old, text)
            if old is not None and merged == old:
                return tip or ""
            changes: dict[str, str | None] = {}
            if found and found[0] != commit:
                changes[found[0]] = None  # move a fanned-out note to the flat name
            changes[commit] = self.backend.write_blob(merged.encode())
            new_tree = put_tree(self.backend, tree, changes) or self.backend.write_tree([])
            new = self.backend.write_commit(
                new_tree, [tip] if tip else [], "Notes added by 'git orch'"
            )
            if self.common_dir is not None:
                clear_stale_ref_lock(self.common_dir, self.ref)
            try:
                if self.backend.update_ref(self.ref, new, tip, "git orch: note"):
                    return new
            except RefLocked:
                continue
            import random  # here, on a lost race: a run that writes its note at once needs none

            time.sleep(random.uniform(0, min(0.05, 0.001 * (attempt + 1))))
        raise StateConflict(f"could not update {self.ref}: it kept moving")
