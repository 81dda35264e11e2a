"""The state branch's commits (and the notes ref's) name their author and committer as `git
commit` would in the same environment: GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL and
GIT_COMMITTER_NAME / GIT_COMMITTER_EMAIL over user.name and user.email, EMAIL when
user.email is unset; both backends, compared with a commit git itself makes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.state import StateStore
from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import write_plan

_VARS = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL")
_FORMAT = "--format=%an <%ae>|%cn <%ce>"


def _git_commit_idents(repo: Path) -> str:
    """The author and committer `git commit` would write here, now (git commit-tree)."""
    empty = git(repo, "hash-object", "-t", "tree", "-w", "/dev/null")
    commit = git(repo, "commit-tree", "-m", "probe", empty)
    return git(repo, "log", "-1", _FORMAT, commit)


def _store_idents(repo: Path) -> tuple[str, str]:
    """The author and committer of a state-branch commit and of a note, as written now."""
    from gitorch import config

    config._cache.clear()
    with config.open_store(find_repo(repo)) as store:
        assert isinstance(store, StateStore)
        tip = store.append([ev.TaskStarted(run="r", task="a")])
        store.add_note(tip, "a note")
    return (git(repo, "log", "-1", _FORMAT, "refs/heads/orch/state"),
            git(repo, "log", "-1", _FORMAT, "refs/notes/orch"))


@pytest.mark.parametrize("env", [
    {"GIT_AUTHOR_NAME": "Ann Author", "GIT_AUTHOR_EMAIL": "ann@example.com",
     "GIT_COMMITTER_NAME": "Cid Committer", "GIT_COMMITTER_EMAIL": "cid@example.com"},
    {"GIT_AUTHOR_NAME": "Only The Author Name"},
    {"GIT_COMMITTER_EMAIL": "bot@example.com", "EMAIL": "ignored@example.com"},  # user.email wins
    {"GIT_AUTHOR_NAME": " <Ann>\n, ", "GIT_COMMITTER_EMAIL": "<cid@example.com>;"},  # cleaned as git
], ids=["all four", "author name", "committer email and EMAIL", "crud"])
def test_the_variables_win_over_user_config(tmp_path: Path, backend: str, env: dict[str, str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r")
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    want = _git_commit_idents(repo)
    assert want != "Test User <test@example.org>|Test User <test@example.org>"  # the variables count
    assert _store_idents(repo) == (want, want)


def _run_idents(root: Path, orch: OrchRunner, env: dict[str, str]) -> set[str]:
    """The author and committer lines of a run's state-branch commits and its note (a new
    process: libgit2 reads the global config of the HOME it first saw, once per process)."""
    write_plan(root, [{"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}}])
    git(root, "add", "orchestrator.json")
    git(root, "commit", "-q", "-m", "plan")
    proc = orch("run", cwd=root, env=env)
    assert proc.returncode == 0, proc.stderr
    return set(subprocess.run(["git", "log", _FORMAT, "refs/heads/orch/state", "refs/notes/orch"],
                              cwd=root, capture_output=True, text=True, check=True).stdout.splitlines())


def test_email_without_user_email(tmp_path: Path, orch: OrchRunner, backend: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "one\n"})
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    git(root, "config", "--global", "--unset", "user.email")  # the test's own global config
    monkeypatch.setenv("EMAIL", "from-env@example.com")
    want = _git_commit_idents(root)
    assert want == "Test User <from-env@example.com>|Test User <from-env@example.com>"
    assert _run_idents(root, orch, {}) == {want}


def test_a_run_commits_as_the_variables_say(tmp_path: Path, orch: OrchRunner, backend: str) -> None:
    root = make_repo(tmp_path / "r", {"a/one.txt": "one\n"})
    env = {"EMAIL": "", "GIT_AUTHOR_NAME": "CI Author", "GIT_AUTHOR_EMAIL": "ci@example.com",
           "GIT_COMMITTER_NAME": "CI Committer", "GIT_COMMITTER_EMAIL": "ci-bot@example.com"}
    assert _run_idents(root, orch, env) == {"CI Author <ci@example.com>|CI Committer <ci-bot@example.com>"}


@pytest.mark.parametrize(("settings", "env"), [
    ({"author.name": "Auth Config", "committer.email": "comm@config.x"}, {}),
    ({"author.name": "A", "author.email": "a@config.x", "committer.name": "C",
      "committer.email": "c@config.x"}, {"GIT_AUTHOR_NAME": "Env Wins", "GIT_COMMITTER_EMAIL": "env@x.y"}),
    ({"user.email": ""}, {"EMAIL": "not-used@example.com"}),  # explicitly empty: <>
    ({"author.email": "", "committer.name": "", "author.name": "A"}, {}),  # empty ones: unset, as git
    ({}, {"GIT_COMMITTER_EMAIL": "", "GIT_AUTHOR_EMAIL": " "}),  # given empty: <>
], ids=["author name, committer email", "variables over config", "empty user.email", "empty author.*",
        "empty variables"])
def test_author_and_committer_config_as_git(tmp_path: Path, backend: str, settings: dict[str, str],
                                            env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r")
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    for key, value in settings.items():
        git(repo, "config", key, value)
    want = _git_commit_idents(repo)
    assert want != "Test User <test@example.org>|Test User <test@example.org>"  # the case counts
    assert _store_idents(repo) == (want, want)


def test_a_key_for_one_email_leaves_the_other_empty(tmp_path: Path, backend: str, orch: OrchRunner,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without user.email, a committer.email (or author.email) key makes git's default email
    empty, not EMAIL's (ident.c: ident_config_given): the author's is `<>`. A run in a new
    process (libgit2 keeps the global config of the first HOME it saw in a process)."""
    repo = make_repo(tmp_path / "r", {"a/one.txt": "one\n"})
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("EMAIL", "e@example.com")
    git(repo, "config", "--global", "--unset", "user.email")  # the test's own global config
    git(repo, "config", "committer.email", "c@config.x")
    want = _git_commit_idents(repo)
    assert want == "Test User <>|Test User <c@config.x>"
    assert _run_idents(repo, orch, {}) == {want}
