"""The root command: version, help, unknown commands, as a user runs them."""

from __future__ import annotations

import subprocess
import sys

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
