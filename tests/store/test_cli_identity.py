"""The git-CLI backend writes commits as git config's user.name and user.email (the last
value of each, as `git config --get` gives): an empty name "gitorch" (git would refuse the
commit), an empty email empty (`<>`, as git writes it)."""

from __future__ import annotations

from pathlib import Path

from gitorch.store.cli_backend import CliBackend
from tests.conftest import git


def _author(repo: Path) -> str:
    backend = CliBackend(str(repo / ".git"))
    tree = backend.write_tree([])
    commit = backend.write_commit(tree, [], "test")
    return git(repo, "log", "-1", "--format=%an <%ae>", commit)


def test_commits_are_written_as_the_configured_user(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    git(tmp_path, "init", "-q", str(repo))
    assert _author(repo) == "Test User <test@example.org>"  # the test's global config
    git(repo, "config", "user.name", "First")
    git(repo, "config", "--add", "user.name", "Last")
    assert _author(repo) == "Last <test@example.org>"
    git(repo, "config", "--replace-all", "user.name", "")
    git(repo, "config", "user.email", "")
    assert _author(repo) == "gitorch <>"
