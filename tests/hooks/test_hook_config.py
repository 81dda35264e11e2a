"""The hooks' two settings (orch.hooks, orch.stateBranch) read from the files git reads,
asking git only when one could set them (gitorch/hooks/hookconfig.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch.hooks import hookconfig as hc
from gitorch.hooks import install as hi
from gitorch.hooks.gitfiles import may_set_orch
from gitorch.repo import find_repo
from tests.conftest import git
from tests.hooks.hookutil import journal_events, orch_lines, run_git, write_state

AWAIT = [{"run": "r-0042", "task": "ship", "gate": "deploy"}]


def _common(repo: Path) -> str:
    return str(repo / ".git")


def test_nothing_set_needs_no_git(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not may_set_orch(_common(project), str(project), None)
    calls: list[list[str]] = []

    def git_quick(args: list[str], *a: object, **k: object) -> tuple[int, bytes]:
        calls.append(args)
        return 0, b""

    monkeypatch.setattr(hc, "git_quick", git_quick)
    assert hc.hook_settings(_common(project), str(project)) == (False, None)
    assert calls == []


@pytest.mark.parametrize("where", ["repo", "global", "include", "env-c", "env-count",
                                   "env-c-include", "env-count-include"])
def test_a_file_or_variable_that_may_set_orch_asks_git(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, where: str,
) -> None:
    if where == "repo":
        git(project, "config", "orch.stateBranch", "team/state")
    elif where == "global":
        git(project, "config", "--global", "orch.stateBranch", "team/state")
    elif where == "include":
        extra = tmp_path / "extra.gitconfig"
        extra.write_text("[ORCH]\n\tstateBranch = team/state\n")
        git(project, "config", "include.path", str(extra))
    elif where == "env-c":
        monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'orch.statebranch'='team/state'")
    elif where.endswith("-include"):  # `git -c include.path=FILE` (or its env form) reads FILE
        extra = tmp_path / "extra.gitconfig"
        extra.write_text("[orch]\n\tstateBranch = team/state\n")
        if where == "env-c-include":
            monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'include.path'='{extra}'")
        else:
            monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
            monkeypatch.setenv("GIT_CONFIG_KEY_0", "include.path")
            monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(extra))
    else:
        monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
        monkeypatch.setenv("GIT_CONFIG_KEY_0", "orch.stateBranch")
        monkeypatch.setenv("GIT_CONFIG_VALUE_0", "team/state")
    assert may_set_orch(_common(project), str(project), None)
    assert hc.hook_settings(_common(project), str(project)) == (False, "team/state")


def test_switched_off_in_the_global_config_with_a_state_branch(project: Path) -> None:
    # The state branch exists, so the sh part starts Python, which finds orch.hooks itself.
    hi.install(find_repo(project))
    write_state(project, {"watch.json": json.dumps({"tasks": {}, "awaiting": AWAIT}).encode()})
    git(project, "config", "--global", "orch.hooks", "off")
    assert orch_lines(run_git(project, "checkout", "feature")) == []
    assert journal_events(project) == []
    git(project, "config", "--global", "--unset", "orch.hooks")
    assert orch_lines(run_git(project, "checkout", "main")) == [
        "orch: run r-0042 is waiting for approval of deploy"]
