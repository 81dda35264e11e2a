"""Refs and tips without round trips to git: the CLI backend reads a ref from git's files
(store/reffiles.py; loose, then packed-refs; git itself when they cannot say) and keeps the
commits it read (immutable), so reading the state branch's tip again asks git nothing; what
both backends read is what git says, as the ref moves, is packed, or is symbolic."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitorch.store import reffiles
from gitorch.store.backend import MODE_BLOB, Backend, TreeEntry
from gitorch.store.cli_backend import CliBackend
from tests.conftest import git

REF = "refs/heads/orch/state"


def _git_view(repo: Path, commit: str) -> tuple[str, tuple[str, ...], str]:
    tree = git(repo, "rev-parse", f"{commit}^{{tree}}")
    parents = tuple(git(repo, "rev-list", "--parents", "-n1", commit).split()[1:])
    return tree, parents, git(repo, "log", "-1", "--format=%B", commit)


def test_the_tip_read_with_its_ref_is_gits(be: Backend, repo: Path) -> None:
    parent = None
    for n in range(3):
        tree = be.write_tree([TreeEntry(f"f{n}", MODE_BLOB, be.write_blob(b"%d\n" % n))])
        commit = be.write_commit(tree, [parent] if parent else [], f"commit {n}\n\nbody {n}")
        assert be.update_ref(REF, commit, parent, "test")
        assert be.read_ref(REF) == commit
        info = be.read_commit(commit)
        assert (info.tree, info.parents, info.message.strip()) == _git_view(repo, commit)
        parent = commit
    # moved by git itself: the new tip is read, not a kept one
    git(repo, "update-ref", REF, git(repo, "rev-parse", f"{parent}~1"))
    tip = be.read_ref(REF)
    assert tip == git(repo, "rev-parse", f"{parent}~1")
    assert be.read_commit(tip).message.strip() == "commit 1\n\nbody 1"


def _counting(be: CliBackend) -> list[str]:
    asked: list[str] = []
    ask = be._cat_file

    def counted(name: str) -> tuple[str, str, bytes] | None:
        asked.append(name)
        return ask(name)

    be._cat_file = counted  # type: ignore[method-assign]
    return asked


def test_the_tip_again_asks_git_nothing(repo: Path) -> None:
    be = CliBackend(str(repo / ".git"))
    asked = _counting(be)
    try:
        tip = be.read_ref("refs/heads/main")
        assert tip == git(repo, "rev-parse", "HEAD")
        assert be.read_commit(tip).tree == git(repo, "rev-parse", "HEAD^{tree}")
        assert asked == [tip]  # the commit; the ref came from its file
        assert be.read_ref("refs/heads/main") == tip and be.read_commit(tip).tree
        assert be.read_ref("refs/heads/missing") is None
        assert asked == [tip]
    finally:
        be.close()


def test_refs_read_as_git_reads_them(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "-a", "-m", "annotated", "v1")
    git(repo, "branch", "loose-one")
    git(repo, "pack-refs", "--all")  # main, loose-one and v1 now packed (v1 with its peeled line)
    git(repo, "branch", "-f", "loose-one", git(repo, "commit-tree", "-m", "x", f"{head}^{{tree}}"))
    git(repo, "branch", "orch/dir-a")
    git(repo, "symbolic-ref", "refs/heads/sym", "refs/heads/main")
    be = CliBackend(str(repo / ".git"))
    try:
        for ref in ("refs/heads/main", "refs/heads/loose-one", "refs/tags/v1", "refs/heads/orch/dir-a",
                    "refs/heads/sym"):
            assert be.read_ref(ref) == git(repo, "rev-parse", ref), ref
        for ref in ("refs/heads/orch", "refs/heads/nope", "refs/heads/mai", "refs/tags/v"):
            assert be.read_ref(ref) is None, ref
    finally:
        be.close()
    common = str(repo / ".git")
    assert reffiles.read(common, "refs/heads/sym") == reffiles.ASK_GIT  # symbolic: git resolves it
    assert reffiles.read(common, "refs/worktree/x") == reffiles.ASK_GIT  # per worktree
    assert reffiles.read(common, "refs/heads/main") == head  # packed


def test_a_linked_worktree_reads_the_shared_refs(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "--detach", str(tmp_path / "wt"))
    wt_git = git(tmp_path / "wt", "rev-parse", "--absolute-git-dir")
    be = CliBackend(wt_git)
    try:
        assert be.read_ref("refs/heads/main") == git(repo, "rev-parse", "main")
    finally:
        be.close()


def test_an_append_reads_the_folders_on_its_path_at_once(repo: Path, backend: str) -> None:
    from gitorch import config
    from gitorch import events as ev
    from gitorch.repo import find_repo

    def append(text: str) -> list[str]:
        config._cache.clear()
        with config.open_store(find_repo(repo)) as store:
            asked: list[str] = []
            if isinstance(store.backend, CliBackend):
                asked = _counting(store.backend)
            store.append([ev.TaskStarted(run="r", task=text)])
            return asked

    append("a")  # the session's folders exist from here on
    asked = append("b")  # a new store: nothing parsed yet
    tip = git(repo, "rev-parse", "refs/heads/orch/state")
    [added] = git(repo, "diff-tree", "-r", "--name-only", f"{tip}~1", tip, "--", "sessions/").splitlines()
    folder = added.split("/")[:-1]
    path_trees = set()
    for n in range(1, len(folder) + 1):  # the folders the second append found on its path
        found = subprocess.run(["git", "rev-parse", "-q", "--verify", f"{tip}~1:{'/'.join(folder[:n])}"],
                               cwd=repo, capture_output=True, text=True)
        path_trees |= {found.stdout.strip()} if found.returncode == 0 else set()
    assert len(path_trees) >= 5  # sessions, month, day, two buckets, the session: read before
    if backend == "cli":  # pygit2 reads in-process: no questions to count
        assert asked  # the counting saw the store's other questions
        assert not path_trees & set(asked)  # asked for together (prefetch_trees), not one by one


def test_a_commit_reads_the_marker_and_the_seal_at_once(repo: Path, backend: str) -> None:
    from gitorch import config
    from gitorch import events as ev
    from gitorch.repo import find_repo
    from gitorch.store import blobcache

    config._cache.clear()
    with config.open_store(find_repo(repo)) as store:
        store.append([ev.RunStarted(run="r1")])
        store.append([ev.TaskStarted(run="r1", task="a")])
    tip = git(repo, "rev-parse", "refs/heads/orch/state")
    names = ("gitorch-state.json", "index.json", "recent.json")
    small = {git(repo, "rev-parse", f"{tip}:{name}") for name in names}
    blobcache._blobs.clear()  # as in a new process
    config._cache.clear()
    with config.open_store(find_repo(repo)) as store:
        asked = _counting(store.backend) if isinstance(store.backend, CliBackend) else []
        store.append([ev.TaskCompleted(run="r1", task="a")])
        assert git(repo, "log", "-1", "--format=%s", "refs/heads/orch/state").startswith("run r1")
    assert not small & set(asked)  # asked for together (read_blobs), not one by one
    if backend == "cli":
        assert asked
