"""Config precedence: defaults < user < repo (state branch) < git config < env < flags."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gitorch import config
from gitorch.errors import ConfigError
from gitorch.repo import find_repo


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _show(orch, repo: Path) -> list[str]:  # type: ignore[no-untyped-def]
    proc = orch("config", "show", "--effective", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_every_level_then_removed_one_by_one(repo: Path, inproc, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    r = find_repo(repo)
    user_file = Path(os.environ["XDG_CONFIG_HOME"]) / "gitorch" / "config.toml"

    def effective(overrides: dict[str, object] | None = None) -> tuple[object, str]:
        config._cache.clear()
        v = config.explain(r, overrides)["lock_timeout"]
        assert config.settings(r, overrides).lock_timeout == v.value
        return v.value, v.source

    assert effective() == (30.0, "default")
    assert inproc("config", "set", "lock_timeout", "11", "--user", cwd=repo).returncode == 0
    assert effective() == (11.0, "~/.config/gitorch/config.toml")
    assert user_file.read_text().strip() == "lock_timeout = 11.0"
    proc = inproc("config", "set", "lock_timeout", "12", "--repo", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert effective() == (12.0, "orch/state:config.toml")
    assert inproc("config", "set", "lockTimeout", "13", cwd=repo).returncode == 0  # --local default
    assert effective() == (13.0, "git config orch.lockTimeout")
    monkeypatch.setenv("GITORCH_LOCK_TIMEOUT", "14")
    assert effective() == (14.0, "env GITORCH_LOCK_TIMEOUT")
    assert effective({"lock_timeout": 15}) == (15.0, "command line")
    assert "  lock_timeout: 14.0 (from: env GITORCH_LOCK_TIMEOUT)" in _show(inproc, repo)

    monkeypatch.delenv("GITORCH_LOCK_TIMEOUT")
    assert effective() == (13.0, "git config orch.lockTimeout")
    assert "  lock_timeout: 13.0 (from: git config orch.lockTimeout)" in _show(inproc, repo)
    assert inproc("config", "unset", "lock_timeout", "--local", cwd=repo).returncode == 0
    assert effective() == (12.0, "orch/state:config.toml")
    assert "  lock_timeout: 12.0 (from: orch/state:config.toml)" in _show(inproc, repo)
    assert inproc("config", "unset", "lock_timeout", "--repo", cwd=repo).returncode == 0
    assert effective() == (11.0, "~/.config/gitorch/config.toml")
    assert inproc("config", "unset", "lock_timeout", "--user", cwd=repo).returncode == 0
    assert effective() == (30.0, "default")
    assert "  lock_timeout: 30.0 (from: default)" in _show(inproc, repo)


def test_show_matches_the_seed_format(repo: Path, orch) -> None:  # type: ignore[no-untyped-def]
    _git(repo, "config", "orch.stateBranch", "orch/state")
    lines = _show(orch, repo)
    assert lines[0] == "Configuration (showing effective values):"
    assert "  state_branch: orch/state (from: git config orch.stateBranch)" in lines
    proc = orch("config", "show", "--json", cwd=repo)
    assert '"source":"git config orch.stateBranch"' in proc.stdout


def test_repo_config_lives_on_the_named_state_branch(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    # The branch that holds config.toml is chosen by the levels below it, never by itself.
    _git(repo, "config", "orch.stateBranch", "team/state")
    assert inproc("config", "set", "jobs", "3", "--repo", cwd=repo).returncode == 0
    out = subprocess.run(["git", "show", "team/state:config.toml"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "jobs = 3"
    config._cache.clear()
    assert config.explain(find_repo(repo))["jobs"].source == "team/state:config.toml"
    proc = inproc("config", "set", "state_branch", "x/y", "--repo", cwd=repo)
    assert proc.returncode == 2 and "cannot be set in the repo config" in proc.stderr


def test_no_state_branch_costs_no_repo_read(repo: Path) -> None:
    r = find_repo(repo)
    assert config.read_repo_config_bytes(r, "orch/state") is None
    assert config.explain(r)["jobs"].level == "default"


def test_get_at_one_level_and_effective(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    assert inproc("config", "set", "dashboard", "yes", cwd=repo).returncode == 0
    proc = inproc("config", "get", "dashboard", cwd=repo)
    assert proc.stdout.strip() == "true"
    proc = inproc("config", "get", "dashboard", "--user", cwd=repo)
    assert proc.returncode == 1 and "not set in the user config" in proc.stderr
    proc = inproc("config", "get", "dashboard", "--json", cwd=repo)
    assert '"level":"git"' in proc.stdout


# --- bad input ---------------------------------------------------------------------------

def test_unknown_key_names_the_nearest(repo: Path, orch) -> None:  # type: ignore[no-untyped-def]
    proc = orch("config", "set", "stat_branch", "x", cwd=repo)
    assert proc.returncode == 2
    assert "unknown config key 'stat_branch'" in proc.stderr and "state_branch" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_key_in_git_config_is_an_error(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    _git(repo, "config", "orch.lockTimout", "3")
    proc = inproc("config", "show", cwd=repo)
    assert proc.returncode == 2 and "lock_timeout" in proc.stderr


def test_user_config_that_does_not_parse_names_file_and_line(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "gitorch" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('jobs = 2\nstate_branch = "unterminated\n')
    proc = inproc("config", "show", "--effective", cwd=repo)
    assert proc.returncode == 2
    assert "~/.config/gitorch/config.toml:2" in proc.stderr and "does not parse" in proc.stderr


def test_wrong_type_in_toml_names_file_and_line(repo: Path) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "gitorch" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('# settings\n\njobs = "four"\n')
    with pytest.raises(ConfigError) as info:
        config.settings(find_repo(repo))
    assert str(info.value).startswith("~/.config/gitorch/config.toml:3: jobs must be an integer")


def test_wrong_type_in_env_and_git_config(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITORCH_JOBS", "many")
    with pytest.raises(ConfigError, match="env GITORCH_JOBS: jobs must be an integer"):
        config.settings(find_repo(repo))
    monkeypatch.delenv("GITORCH_JOBS")
    config._cache.clear()
    _git(repo, "config", "orch.hooks", "maybe")
    with pytest.raises(ConfigError, match="git config orch.hooks: hooks must be a boolean"):
        config.settings(find_repo(repo))


def test_key_spellings(repo: Path) -> None:
    for spelling in ("state_branch", "state-branch", "stateBranch", "orch.stateBranch", "statebranch"):
        assert config.canonical_key(spelling) == "state_branch"
    assert config.git_key("sync_after_run") == "orch.syncAfterRun"
    assert config.env_key("sync_after_run") == "GITORCH_SYNC_AFTER_RUN"


def test_settings_are_cached_per_process(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = find_repo(repo)
    first = config.settings(r)
    monkeypatch.setenv("GITORCH_JOBS", "7")
    assert config.settings(r) is first
    config._cache.clear()
    assert config.settings(r).jobs == 7
