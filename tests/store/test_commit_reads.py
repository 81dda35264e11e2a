"""A tip's commit is read with its ref: `git cat-file --batch` sends the commit when asked for
the ref, so the CLI backend keeps it (commits are immutable) and reading the tip's commit
asks git nothing more; what both backends read is what git says, as the ref moves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitorch.store.backend import MODE_BLOB, Backend, TreeEntry
from gitorch.store.cli_backend import CliBackend
from gitorch.store.select import open_backend
from tests.conftest import git

REF = "refs/heads/orch/state"


@pytest.fixture
def be(repo: Path, backend: str) -> Iterator[Backend]:
    b, _choice = open_backend(str(repo / ".git"), backend, str(repo / ".git" / "orch"))
    yield b
    b.close()


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


def test_one_question_for_a_ref_and_its_commit(repo: Path) -> None:
    be = CliBackend(str(repo / ".git"))
    asked: list[str] = []
    ask = be._cat_file

    def counted(name: str) -> tuple[str, str, bytes] | None:
        asked.append(name)
        return ask(name)

    be._cat_file = counted  # type: ignore[method-assign]
    try:
        tip = be.read_ref("refs/heads/main")
        assert tip is not None
        assert be.read_commit(tip).tree == git(repo, "rev-parse", "HEAD^{tree}")
        assert asked == ["refs/heads/main"]
        assert be.read_ref("refs/heads/missing") is None
    finally:
        be.close()
