"""The in-process backend (pygit2/libgit2), the default when pygit2 is importable.

libgit2 has no single compare-and-swap call for refs, so update_ref does it with a
reference transaction: lock the ref (libgit2 creates `<ref>.lock` exactly as `git
update-ref` does, so plain git, the CLI backend and this one exclude each other), re-read
the ref while holding that lock, and write only if it still points where the caller
expects.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pygit2

from gitorch.store.backend import IDENT_KEYS, MODE_TREE, CommitInfo, RefLocked, TreeEntry, signatures

_LOCK_WAIT = 1.0  # seconds to wait for a `<ref>.lock` another writer holds briefly
# libgit2 caches parsed trees of at most 4 KB: a larger one (runs/ with 1,000 runs is ~45 KB,
# a day's sessions ~7 KB) was read from disk, inflated and its SHA-1 checked again at every
# lookup, several times per append. Objects are content-addressed, so a cached tree is never
# stale; the cache's total stays bounded by libgit2's cache_max_size (256 MB by default).
_TREE_CACHE_LIMIT = 4 << 20


def _configured(repo: pygit2.Repository, key: str) -> str | None:
    try:
        return str(repo.config[key])
    except KeyError:
        return None


class Pygit2Backend:
    """Objects and refs through libgit2."""

    name = "pygit2"

    def __init__(self, git_dir: str) -> None:
        pygit2.settings.cache_object_limit(pygit2.enums.ObjectType.TREE, _TREE_CACHE_LIMIT)
        self.repo = pygit2.Repository(git_dir)
        self._user = {key: _configured(self.repo, key) for key in IDENT_KEYS}
        self._signatures: tuple[tuple[str, str], tuple[str, str]] | None = None  # at the first commit

    # --- refs -----------------------------------------------------------------------
    def read_ref(self, ref: str) -> str | None:
        found = self.repo.references.get(ref)
        if found is None:
            return None
        return str(found.resolve().target)

    def update_ref(self, ref: str, new: str, old: str | None, message: str) -> bool:
        deadline = time.monotonic() + _LOCK_WAIT
        while True:
            txn = self.repo.transaction()
            try:
                try:
                    txn.lock_ref(ref)
                except pygit2.GitError as exc:
                    # Another writer holds `<ref>.lock` for a moment: wait, as git does.
                    if "lock" not in str(exc).lower():
                        raise
                    if time.monotonic() > deadline:
                        raise RefLocked(ref) from None
                    time.sleep(0.002)
                    continue
                if self.read_ref(ref) != old:
                    return False
                # No signature: libgit2 takes the reflog identity from config or "unknown"
                # (pygit2's Signature cannot be passed through this call).
                txn.set_target(ref, new, message=message)
                txn.commit()
                return True
            finally:
                txn.__exit__(RuntimeError, None, None)  # free (and unlock) without committing twice

    def list_refs(self, prefix: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in self.repo.references:
            if name.startswith(prefix):
                ref = self.repo.references[name]
                try:
                    out[name] = str(ref.resolve().target)
                except (KeyError, pygit2.GitError):
                    continue
        return out

    # --- objects --------------------------------------------------------------------
    def read_blob(self, oid: str) -> bytes:
        return self.repo[oid].read_raw()

    def read_blobs(self, oids: Sequence[str]) -> list[bytes]:
        return [self.read_blob(oid) for oid in oids]

    def write_blob(self, data: bytes) -> str:
        return str(self.repo.create_blob(data))

    def read_tree(self, oid: str) -> list[TreeEntry]:
        tree = self.repo[oid]
        return [TreeEntry(e.name, int(e.filemode), str(e.id)) for e in tree]  # type: ignore[attr-defined,union-attr]

    def write_tree(self, entries: Iterable[TreeEntry]) -> str:
        builder = self.repo.TreeBuilder()
        for e in entries:
            builder.insert(e.name, pygit2.Oid(hex=e.oid), e.mode)
        return str(builder.write())

    def tree_entry(self, tree: str, name: str) -> TreeEntry | None:
        t = self.repo[tree]
        if name not in t:  # type: ignore[operator]
            return None
        e = t[name]  # type: ignore[index]
        return TreeEntry(e.name, int(e.filemode), str(e.id))

    def edit_tree(self, base: str | None, edits: Mapping[str, TreeEntry | None]) -> str | None:
        # A TreeBuilder seeded from `base` keeps the untouched entries in C: no Python loop.
        builder = self.repo.TreeBuilder(base) if base else self.repo.TreeBuilder()
        for name, e in edits.items():
            if e is None:
                if builder.get(name) is not None:
                    builder.remove(name)
            else:
                builder.insert(name, pygit2.Oid(hex=e.oid), e.mode)
        if len(builder) == 0:
            return None
        return str(builder.write())

    def read_commit(self, oid: str) -> CommitInfo:
        c = self.repo[oid]
        return CommitInfo(
            str(c.id), str(c.tree_id), tuple(str(p) for p in c.parent_ids), c.message  # type: ignore[attr-defined]
        )

    def write_commit(self, tree: str, parents: Sequence[str], message: str) -> str:
        # as `git commit` names them: the GIT_AUTHOR_* / GIT_COMMITTER_* variables first
        if self._signatures is None:  # once per store, as its config (the environment too)
            self._signatures = signatures(self._user)
        author, committer = self._signatures
        if not author[1] or not committer[1]:  # `<>`, as git writes it; libgit2 refuses it
            return self._raw_commit(tree, parents, message)
        oid = self.repo.create_commit(
            None, pygit2.Signature(*author), pygit2.Signature(*committer), message,
            pygit2.Oid(hex=tree), [pygit2.Oid(hex=p) for p in parents]
        )
        return str(oid)

    def _raw_commit(self, tree: str, parents: Sequence[str], message: str) -> str:
        """The commit's object written as the CLI backend writes it (an empty email allowed)."""
        assert self._signatures is not None
        (author, author_email), (committer, committer_email) = self._signatures
        stamp = f"{int(time.time())} +0000"
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents),
                 f"author {author} <{author_email}> {stamp}",
                 f"committer {committer} <{committer_email}> {stamp}"]
        text = "\n".join(lines) + "\n\n" + (message if message.endswith("\n") else message + "\n")
        return str(self.repo.odb.write(pygit2.enums.ObjectType.COMMIT, text.encode()))

    def walk(self, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        for e in self.read_tree(tree):
            path = f"{prefix}{e.name}"
            if e.mode == MODE_TREE:
                yield from self.walk(e.oid, path + "/")
            else:
                yield path, e

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        return bool(self.repo.descendant_of(descendant, ancestor))

    def prefetch_trees(self, tree: str, paths: Iterable[str]) -> None:
        """Nothing to do: libgit2 reads in-process."""

    def prepare_writes(self) -> None:
        """Nothing to start: libgit2 writes in-process."""

    def close(self) -> None:
        self.repo.free()
