"""Trees larger than libgit2's default 4 KB cache limit (runs/ with hundreds of runs, a busy
day's sessions): the pygit2 backend keeps them parsed in memory (content-addressed, so never
stale) and answers exactly as the git CLI backend and `git ls-tree` do while they change."""

from __future__ import annotations

from pathlib import Path

from gitorch.store.backend import MODE_BLOB, TreeEntry
from gitorch.store.select import open_backend
from gitorch.store.statebranch import put_tree
from tests.conftest import fsck, git

NAMES = 400  # ~16 KB of tree entries: past the 4 KB limit


def _listing(repo: Path, tree: str) -> list[tuple[str, str]]:
    rows = git(repo, "ls-tree", tree).splitlines()
    return [(r.split("\t")[1], r.split()[2]) for r in rows]


def test_a_large_tree_reads_the_same_on_both_backends_as_it_changes(repo: Path) -> None:
    be, _ = open_backend(str(repo / ".git"), "pygit2", str(repo / ".git" / "orch"))
    cli, _ = open_backend(str(repo / ".git"), "cli", str(repo / ".git" / "orch"))
    try:
        blobs = [be.write_blob(f"{i}\n".encode()) for i in range(NAMES)]
        tree = be.write_tree([TreeEntry(f"run-{i:04d}.json", MODE_BLOB, blobs[i]) for i in range(NAMES)])
        assert int(git(repo, "cat-file", "-s", tree)) > 4096
        for step in range(6):
            name = f"run-{(step * 97) % NAMES:04d}.json"
            for backend in (be, cli):  # read through each, the cached pygit2 one first
                entry = backend.tree_entry(tree, name)
                assert entry is not None and entry.oid == dict(_listing(repo, tree))[name]
                listed = sorted((e.name, e.oid) for e in backend.read_tree(tree))
                assert listed == sorted(_listing(repo, tree))
            writer = be if step % 2 else cli  # the new tree written by either backend
            new = put_tree(writer, tree, {name: writer.write_blob(f"step {step}\n".encode()),
                                          f"new-{step}.json": writer.write_blob(b"x\n")})
            assert new is not None and new != tree
            assert be.tree_entry(new, name) == cli.tree_entry(new, name)
            assert be.tree_entry(tree, name) != be.tree_entry(new, name)  # the old tree still reads as it was
            tree = new
        assert len(_listing(repo, tree)) == NAMES + 6
        fsck(repo, "--strict", "--no-dangling")
    finally:
        be.close()
        cli.close()
