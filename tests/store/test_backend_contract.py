"""The Protocol's contract, run on both backends against real repositories."""

from __future__ import annotations

from pathlib import Path

from gitorch.store.backend import MODE_BLOB, MODE_TREE, Backend, TreeEntry
from tests.conftest import fsck, git

REF = "refs/heads/orch/state"


def test_blobs_round_trip_with_git_oids(be: Backend, repo: Path) -> None:
    data = b"hello\x00world\n"
    oid = be.write_blob(data)
    assert be.read_blob(oid) == data
    assert git(repo, "cat-file", "-t", oid) == "blob"


def test_trees_and_commits(be: Backend, repo: Path) -> None:
    blob = be.write_blob(b"x\n")
    inner = be.write_tree([TreeEntry("name with space.txt", MODE_BLOB, blob)])
    root = be.write_tree([TreeEntry("dir", MODE_TREE, inner), TreeEntry("a", MODE_BLOB, blob)])
    assert {e.name for e in be.read_tree(root)} == {"dir", "a"}
    assert git(repo, "ls-tree", "-r", "--name-only", root).splitlines() == ["a", "dir/name with space.txt"]
    assert sorted(p for p, _ in be.walk(root)) == ["a", "dir/name with space.txt"]
    c1 = be.write_commit(root, [], "first")
    c2 = be.write_commit(root, [c1], "second\n\nbody")
    info = be.read_commit(c2)
    assert info.tree == root and info.parents == (c1,) and info.message.startswith("second")
    assert be.is_ancestor(c1, c2) and not be.is_ancestor(c2, c1) and be.is_ancestor(c1, c1)
    fsck(repo, "--strict", "--no-dangling")


def test_update_ref_is_compare_and_swap(be: Backend, repo: Path) -> None:
    tree = be.write_tree([TreeEntry("a", MODE_BLOB, be.write_blob(b"a"))])
    c1 = be.write_commit(tree, [], "one")
    c2 = be.write_commit(tree, [c1], "two")
    assert be.read_ref(REF) is None
    assert be.update_ref(REF, c1, None, "create")
    assert not be.update_ref(REF, c2, None, "must not exist")
    assert not be.update_ref(REF, c2, c2, "wrong old")
    assert be.read_ref(REF) == c1
    assert be.update_ref(REF, c2, c1, "move")
    assert git(repo, "rev-parse", REF) == c2
    assert be.list_refs("refs/heads/orch/") == {REF: c2}
    # Plain git moving the ref is seen at once (no stale cache).
    git(repo, "update-ref", REF, c1)
    assert be.read_ref(REF) == c1
    assert not be.update_ref(REF, c2, c2, "stale")


def test_update_ref_waits_for_a_brief_ref_lock(be: Backend, repo: Path) -> None:
    import threading

    tree = be.write_tree([])
    c1 = be.write_commit(tree, [], "one")
    lock = repo / ".git" / "refs" / "heads" / "orch" / "state.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    threading.Timer(0.2, lock.unlink).start()
    assert be.update_ref(REF, c1, None, "after the lock")
    assert be.read_ref(REF) == c1


def test_tree_entry_and_edit_tree(be: Backend, repo: Path) -> None:
    a, b = be.write_blob(b"a"), be.write_blob(b"b")
    base = be.write_tree([TreeEntry("a", MODE_BLOB, a), TreeEntry("keep", MODE_BLOB, a)])
    assert be.tree_entry(base, "a") == TreeEntry("a", MODE_BLOB, a)
    assert be.tree_entry(base, "missing") is None
    edited = be.edit_tree(base, {"a": None, "b": TreeEntry("b", MODE_BLOB, b)})
    assert edited is not None
    assert sorted(e.name for e in be.read_tree(edited)) == ["b", "keep"]
    assert be.edit_tree(base, {"a": None, "keep": None}) is None
    fresh = be.edit_tree(None, {"x": TreeEntry("x", MODE_BLOB, a)})
    assert fresh == be.write_tree([TreeEntry("x", MODE_BLOB, a)])
    fsck(repo, "--strict", "--no-dangling")


def test_compare_and_swap_of_a_packed_ref(be: Backend, repo: Path) -> None:
    tree = be.write_tree([])
    c1 = be.write_commit(tree, [], "one")
    c2 = be.write_commit(tree, [c1], "two")
    assert be.update_ref(REF, c1, None, "create")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "orch" / "state").exists()
    assert be.read_ref(REF) == c1
    assert not be.update_ref(REF, c2, None, "exists (packed)")
    assert be.update_ref(REF, c2, c1, "move")
    assert git(repo, "rev-parse", REF) == c2
