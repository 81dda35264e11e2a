"""The early `git rev-parse` of `run` (engine/prestart starts it, repo.adopt_early takes it):
its repository is the one find_repo finds, used only in the folder it ran in, and once.
The early `git cat-file --batch`: the CLI backend reads through it only for the repository
of the folder it ran in, with the same answers; anywhere else it is stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitorch import earlyconfig
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
    assert prestart.reader_for(Path("/nonexistent-folder")) is None  # stops one left over
    earlyconfig.forget()


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


def _run_reader(root: Path, monkeypatch: pytest.MonkeyPatch, started_in: Path) -> tuple[Any, Any]:
    """A run (in `root`) after prestart ran in `started_in`: (the early reader, the process the
    store's CLI backend reads through, None for pygit2)."""
    from gitorch.engine.run import RunOptions, execute
    from tests.engine.helpers import fresh_context

    monkeypatch.chdir(started_in)
    prestart.start()
    assert prestart._reader is not None
    early = prestart._reader[1]
    monkeypatch.chdir(root)
    ctx = fresh_context(root)
    result = execute(ctx, RunOptions())
    assert result.exit_code == 0
    cat = getattr(ctx.store.backend, "_cat", None)
    used = cat.proc if cat is not None else None
    ctx.store.close()
    return early, used


def test_the_store_reads_through_the_early_reader_only_in_its_folder(
        tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.engine.helpers import write_plan

    root = make_repo(tmp_path / "r", {"a/x.txt": "x\n"})
    write_plan(root, [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    other = make_repo(tmp_path / "other")
    early, used = _run_reader(root, monkeypatch, started_in=root)
    if backend == "cli":
        assert used is early  # taken: the first read did not start git
    else:
        assert early.poll() is not None  # pygit2 reads in-process: stopped
    early, used = _run_reader(root, monkeypatch, started_in=other)  # another repository
    assert used is not early and early.poll() is not None
    state = git(root, "log", "--format=%s", "orch/state")
    assert state.count("completed: 1 completed") == 1 and state.count("completed: 1 skipped") == 1


def test_git_status_starts_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a large work tree `git status`' threads take every core, and a git started after it
    keeps the process waiting in vfork for one: the quick ones start first. Each is the one
    its reader takes (repo, store reader, config, listing)."""
    root = make_repo(tmp_path / "r", {"x.txt": "x\n"})
    monkeypatch.chdir(root)
    started: list[str] = []
    real = prestart.git_popen

    def recording(args: list[str], *rest: Any, **kw: Any) -> Any:
        started.append(next(a for i, a in enumerate(args) if a != "-c" and args[i - 1:i] != ["-c"]))
        return real(args, *rest, **kw)

    monkeypatch.setattr(prestart, "git_popen", recording)
    monkeypatch.setattr(earlyconfig, "git_popen", recording)
    prestart.start()
    assert started == ["rev-parse", "cat-file", "config", "cat-file", "status"]
    head = git(root, "rev-parse", "HEAD")
    repo = find_repo(root)
    assert repo == find_repo(root) and repo_mod.take_early_head(repo) == (head,)
    assert repo_mod.found_in(str(root)) == str(repo.git_dir)
    assert earlyconfig.output(str(repo.git_dir), lambda key: key == "user.name") is not None
    reader = prestart.take(root)
    assert reader is not None and reader.status() is not None
