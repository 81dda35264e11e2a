"""The root command: version, help, unknown commands, as a user runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from gitorch import __version__


def test_version_through_git(orch, repo) -> None:
    proc = orch("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"gitorch {__version__} (backend: ")


def test_python_dash_m(repo) -> None:
    proc = subprocess.run([sys.executable, "-m", "gitorch", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_help_lists_groups(cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_unknown_command_is_usage_error(orch, repo) -> None:
    proc = orch("no-such-command")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such command" in proc.stderr


def test_reader_closing_the_pipe_is_not_an_error(repo) -> None:
    """`git orch events --json | head -1`: the reader leaves early; exit quietly, no traceback."""
    from gitorch.config import open_store
    from gitorch.events import Generic

    with open_store() as store:
        store.append([Generic(kind="pad", data={"text": "x" * 2000}) for _ in range(200)])
    proc = subprocess.Popen(["git", "orch", "events", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "internal error" not in err


def test_version_names_the_backend(orch, repo) -> None:
    assert "(backend: cli)" in orch("--version", env={"GITORCH_BACKEND": "cli"}).stdout
    assert "(backend: pygit2" in orch("--version", env={"GITORCH_BACKEND": "pygit2"}).stdout


@pytest.mark.skipif(shutil.which("man") is None, reason="no man viewer on this machine")
def test_git_orch_help_opens_the_man_page(orch, repo) -> None:
    """git turns `git orch --help` into `man git-orch`: the page ships with gitorch."""
    proc = orch("--help", env={"MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"})
    assert proc.returncode == 0, proc.stderr
    assert "git-orch" in proc.stdout and "EXIT STATUS" in proc.stdout
