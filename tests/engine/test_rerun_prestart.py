"""The early `git rev-parse` of `run` (engine/prestart starts it through repo.start_early):
its repository is the one find_repo finds, used only in the folder it ran in, and once."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import repo as repo_mod
from gitorch.cli import lean_run
from gitorch.engine import prestart
from gitorch.errors import NotARepoError
from gitorch.repo import find_repo
from tests.conftest import git, make_repo


@pytest.fixture(autouse=True)
def _nothing_left() -> object:
    yield None
    repo_mod._take_early(Path.cwd())
    reader = prestart.take(Path.cwd())
    if reader is not None:
        reader.status()


def test_the_early_repository_is_find_repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r", {"sub/x.txt": "x\n"})
    git(root, "worktree", "add", "-q", str(tmp_path / "wt"))
    for where in (root, root / "sub", tmp_path / "wt"):
        monkeypatch.chdir(where)
        prestart.start()
        assert repo_mod._early is not None and repo_mod._early[0] == str(where)
        early = find_repo(where)
        assert repo_mod._early is None  # taken once
        assert early == find_repo(where)  # the same as git asked afresh


def test_the_context_takes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r")
    monkeypatch.chdir(root)
    prestart.start()
    ctx = lean_run.command_context(None, True)
    assert ctx.repo == find_repo(root) and repo_mod._early is None


def test_another_folder_or_no_repository_finds_it_as_before(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r")
    other = make_repo(tmp_path / "other")
    monkeypatch.chdir(root)
    prestart.start()
    monkeypatch.chdir(other)
    assert lean_run.command_context(None, True).repo == find_repo(other)
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    prestart.start()
    with pytest.raises(NotARepoError, match="not inside a git repository"):
        _ = lean_run.command_context(None, True).repo
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    monkeypatch.chdir(bare)
    prestart.start()
    assert lean_run.command_context(None, True).repo == find_repo(bare)
