"""The early `git rev-parse` of `run` (engine/prestart): its repository is the one find_repo
finds, used only in the folder it ran in and only when it found one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gitorch.cli import lean_run
from gitorch.engine import prestart
from gitorch.errors import NotARepoError
from gitorch.repo import find_repo
from tests.conftest import git, make_repo


@pytest.fixture(autouse=True)
def _nothing_left() -> object:
    yield None
    prestart.take_repo()
    reader = prestart.take(Path.cwd())
    if reader is not None:
        reader.status()


def test_the_early_repository_is_find_repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r", {"sub/x.txt": "x\n"})
    git(root, "worktree", "add", "-q", str(tmp_path / "wt"))
    for where in (root, root / "sub", tmp_path / "wt"):
        monkeypatch.chdir(where)
        prestart.start()
        assert prestart.take_repo() == find_repo(where)
        assert prestart.take_repo() is None  # taken once


def test_the_context_takes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r")
    monkeypatch.chdir(root)
    assert "gitorch.engine.prestart" in sys.modules
    prestart.start()
    ctx = lean_run.command_context(None, True)
    assert ctx.given_repo == find_repo(root) and ctx.repo == ctx.given_repo
    assert lean_run.command_context(None, True).given_repo is None  # later contexts find it themselves


def test_another_folder_or_no_repository_finds_it_as_before(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r")
    other = make_repo(tmp_path / "other")
    monkeypatch.chdir(root)
    prestart.start()
    monkeypatch.chdir(other)
    assert prestart.take_repo() is None
    assert lean_run.command_context(None, True).repo == find_repo(other)
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    prestart.start()
    assert prestart.take_repo() is None
    with pytest.raises(NotARepoError, match="not inside a git repository"):
        _ = lean_run.command_context(None, True).repo
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    monkeypatch.chdir(bare)
    prestart.start()
    found = prestart.take_repo()
    assert found is None or found == find_repo(bare)
