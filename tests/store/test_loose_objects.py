"""The git CLI backend writes loose objects in-process (store/loose.py) exactly as `git
hash-object -w` would, and keeps `git hash-object` where the repository's config asks for
something it does not do; the state branch it writes either way passes `git fsck`."""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import pytest

from gitorch.store import loose
from gitorch.store.backend import MODE_BLOB, MODE_TREE, TreeEntry
from gitorch.store.cli_backend import CliBackend
from gitorch.store.state import StateStore
from tests.conftest import fsck, git


def _stored(repo_git: Path, oid: str) -> bytes:
    return zlib.decompress((repo_git / "objects" / oid[:2] / oid[2:]).read_bytes())


def _tmp_left(objects: Path) -> list[Path]:
    return [p for p in objects.glob("*/tmp_obj_*")]


def test_objects_written_in_process_are_gits_own(repo: Path) -> None:
    be = CliBackend(str(repo / ".git"))
    try:
        data = b"hello\x00world\n" * 50
        blob = be.write_blob(data)
        assert be._loose is not None  # the default config: written here, no hash-object process
        assert be._blob.proc is None and be._tree.proc is None and be._commit.proc is None
        (repo / "same.bin").write_bytes(data)
        assert blob == git(repo, "hash-object", "same.bin")
        assert _stored(repo / ".git", blob) == b"blob %d\x00" % len(data) + data
        path = repo / ".git" / "objects" / blob[:2] / blob[2:]
        assert path.stat().st_mode & 0o777 == 0o444 & ~_umask()  # read-only, as git writes them
        tree = be.write_tree([TreeEntry("b", MODE_BLOB, blob),
                              TreeEntry("d", MODE_TREE, be.write_tree([TreeEntry("x", MODE_BLOB, blob)]))])
        commit = be.write_commit(tree, [], "one")
        assert git(repo, "cat-file", "-t", commit) == "commit"
        assert git(repo, "log", "-1", "--format=%an <%ae> %s", commit) == "Test User <test@example.org> one"
        assert git(repo, "ls-tree", "-r", "--name-only", commit).splitlines() == ["b", "d/x"]
        assert be.write_blob(data) == blob  # already there: freshened, not rewritten
        fsck(repo, "--strict", "--no-dangling")
        assert not _tmp_left(repo / ".git" / "objects")
    finally:
        be.close()


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_an_existing_object_is_freshened(repo: Path) -> None:
    be = CliBackend(str(repo / ".git"))
    try:
        oid = be.write_blob(b"kept\n")
        path = repo / ".git" / "objects" / oid[:2] / oid[2:]
        os.utime(path, (1_000_000, 1_000_000))
        assert be.write_blob(b"kept\n") == oid
        assert path.stat().st_mtime > 1_000_000  # git prune will not take it from the new commit
    finally:
        be.close()


def test_shared_repository_permissions_keep_hash_object(repo: Path) -> None:
    git(repo, "config", "core.sharedRepository", "group")
    be = CliBackend(str(repo / ".git"))
    try:
        oid = be.write_blob(b"via git\n")
        assert be._loose is None and be._blob.proc is not None  # git hash-object wrote it
        assert git(repo, "cat-file", "blob", oid) == "via git"
    finally:
        be.close()


def test_compression_and_fsync_follow_the_config(repo: Path) -> None:
    git(repo, "config", "core.looseCompression", "0")
    git(repo, "config", "core.fsync", "loose-object")
    be = CliBackend(str(repo / ".git"))
    try:
        data = b"a" * 4000
        oid = be.write_blob(data)
        assert be._loose == loose.LooseWriter(str(repo / ".git" / "objects"), 0, True)
        raw = (repo / ".git" / "objects" / oid[:2] / oid[2:]).read_bytes()
        assert len(raw) > len(data)  # level 0: stored, not deflated
        assert zlib.decompress(raw).endswith(data)
    finally:
        be.close()


def test_plan_reads_the_config_as_git_does(tmp_path: Path) -> None:
    git_dir = tmp_path / "g"
    (git_dir / "objects").mkdir(parents=True)
    objects = str(git_dir / "objects")
    assert loose.plan(str(git_dir), {}) == loose.LooseWriter(objects, 1, False)
    assert loose.plan(str(git_dir), {"extensions.objectformat": "sha256"}) is None
    assert loose.plan(str(git_dir), {"core.sharedrepository": "0640"}) is None
    assert loose.plan(str(git_dir), {"core.sharedrepository": "false"}) is not None
    assert loose.plan(str(git_dir), {"core.compression": "-1"}) == loose.LooseWriter(objects, -1, False)
    assert loose.plan(str(git_dir), {"core.compression": "9", "core.loosecompression": "2"}
                      ) == loose.LooseWriter(objects, 2, False)
    assert loose.plan(str(git_dir), {"core.fsyncobjectfiles": "true"}) == loose.LooseWriter(objects, 1, True)
    for fsync, synced in (("committed,-loose-object", True), ("-loose-object", False),
                          ("none", False), ("none,objects", True), ("reference,index", False)):
        assert loose.plan(str(git_dir), {"core.fsync": fsync}) == loose.LooseWriter(objects, 1, synced)
    assert loose.plan(str(tmp_path / "missing"), {}) is None


def test_a_linked_worktree_writes_into_the_common_object_store(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"))
    wt_git = git(tmp_path / "wt", "rev-parse", "--absolute-git-dir")
    be = CliBackend(wt_git)
    try:
        oid = be.write_blob(b"from the worktree\n")
        assert (repo / ".git" / "objects" / oid[:2] / oid[2:]).is_file()
        assert git(repo, "cat-file", "blob", oid) == "from the worktree"
    finally:
        be.close()


def test_a_state_branch_written_in_process_passes_fsck(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitorch import events as ev
    from gitorch.repo import find_repo

    with StateStore(find_repo(repo), backend="cli") as store:
        store.prepare_writes()  # the config read and update-ref started early, used below
        store.append([ev.RunStarted(run="r1", plan_digest="d" * 64, plan_file="p.yml")],
                     {"plans/x.json": b"{}\n"})
        store.append([ev.Completed(run="r1", status="completed", failures=[])])
        assert [type(e).__name__ for e in store.events(run="r1")] == ["RunStarted", "Completed"]
        store.add_note(git(repo, "rev-parse", "HEAD"), "checked")
    fsck(repo, "--strict", "--no-dangling")
    assert git(repo, "notes", "--ref=orch", "show", "HEAD") == "checked"
    assert not _tmp_left(repo / ".git" / "objects")


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_keys_without_a_value_are_true_as_git_reads_them(repo: Path) -> None:
    """`[core] sharedRepository` with no value is group-shared and `fsyncObjectFiles` with no
    value is on: git hash-object writes the first, the second fsyncs."""
    with open(repo / ".git" / "config", "a") as config:
        config.write("[core]\n\tfsyncObjectFiles\n")
    be = CliBackend(str(repo / ".git"))
    try:
        be.write_blob(b"synced\n")
        assert be._loose == loose.LooseWriter(str(repo / ".git" / "objects"), 1, True)
    finally:
        be.close()
    with open(repo / ".git" / "config", "a") as config:
        config.write("[core]\n\tsharedRepository\n")
    objects = repo / ".git" / "objects"
    # git sets the group's permissions on a fan-out folder it creates, so the blob is one whose
    # folder does not exist yet (the fixture's commit has an id that changes with its time)
    blobs = (b"shared %d\n" % n for n in range(1000))
    blob = next(data for data in blobs if not (objects / _blob_id(data)[:2]).exists())
    be = CliBackend(str(repo / ".git"))
    try:
        oid = be.write_blob(blob)
        assert oid == _blob_id(blob)
        assert be._loose is None  # git hash-object wrote it, with the group's permissions
        assert (objects / oid[:2]).stat().st_mode & 0o2070 == 0o2070
    finally:
        be.close()


def test_a_small_object_is_deflated_with_a_window_its_size(repo: Path) -> None:
    """zlib's default window and memory level cost a small object page faults at every write;
    its stream says the window it used (CINFO), and git reads any: cat-file and fsck agree."""
    be = CliBackend(str(repo / ".git"))
    try:
        small, large = b"tiny\n" * 20, os.urandom(40_000) * 2  # 100 bytes; 80 kB
        sizes = [512 - 9, 512 - 8, 40_000, 65_536 - 10, 65_536 - 9, 65_536 + 1]  # around the steps
        oids = {be.write_blob(small): small, be.write_blob(large): large}
        for size in sizes:  # each header and data in one window (or, past 64 kB, zlib's default)
            oids[be.write_blob(b"s" * size)] = b"s" * size
        windows = []
        for oid, data in oids.items():
            raw = (repo / ".git" / "objects" / oid[:2] / oid[2:]).read_bytes()
            windows.append((raw[0] >> 4) + 8)  # CMF's CINFO: log2(window) - 8
            assert _stored(repo / ".git", oid) == b"blob %d\x00" % len(data) + data
            assert git(repo, "cat-file", "-s", oid) == str(len(data))
        # a window as large as the object (512 bytes for the small one), at most zlib's 32 kB
        assert windows == [9, 15, 9, 10, 15, 15, 15, 15]
        tree = be.write_tree([TreeEntry(f"b{i}", MODE_BLOB, oid) for i, oid in enumerate(oids)])
        git(repo, "update-ref", "refs/keep", be.write_commit(tree, [], "keep"))
        fsck(repo, "--strict", "--no-dangling")
    finally:
        be.close()
