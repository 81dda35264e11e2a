"""The levels together: each setting's effective value and its source, and the cached
`Settings` a process uses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch.config.files import (
    _finish_repo_config_read,
    _start_repo_config_read,
    display_path,
    parse_toml,
    read_git_config,
    read_repo_config_bytes,
    read_user_config,
)
from gitorch.config.model import (
    _DEFAULTS,
    FIELDS,
    NOT_IN_REPO_CONFIG,
    Settings,
    Value,
    canonical_key,
    check_typed,
    env_key,
    git_key,
    parse_text,
)
from gitorch.errors import ConfigError, Location
from gitorch.repo import Repo
from gitorch.store.layout import REPO_CONFIG

if TYPE_CHECKING:
    from gitorch.gitcmd import GitProcess
    from gitorch.store.state import StateStore

_cache: dict[object, Settings] = {}


def forget() -> None:
    """Drop the settings read so far (cli/entry, at a command's end): a later command in this
    process reads every level afresh, as a new process would."""
    _cache.clear()


def explain(
    repo: Repo | None = None, overrides: dict[str, Any] | None = None, *, repo_config: bool = True
) -> dict[str, Value]:
    """Every setting's effective value and where it came from (without the repo config
    level when `repo_config` is False: what repairs a repo config that does not read uses)."""
    values = {name: Value(name, getattr(_DEFAULTS, name), "default", "default") for name in FIELDS}

    user_path, user = read_user_config()
    for key, (value, _line) in user.items():
        values[key] = Value(key, value, "user", display_path(user_path))

    env_values: dict[str, Any] = {}
    for key in FIELDS:
        text = os.environ.get(env_key(key))
        if text is not None:
            env_values[key] = parse_text(key, text, source=f"env {env_key(key)}")
    flag_values = {canonical_key(k): v for k, v in (overrides or {}).items() if v is not None}

    # The state branch's name comes from every level except the repo config itself. Its
    # config.toml is read while git config runs (both are git processes), on the likely
    # name; read again only when git config names another branch.
    guess = flag_values.get("state_branch", env_values.get("state_branch",
                                                          values["state_branch"].value))
    early = _start_repo_config_read(repo, str(guess)) if repo is not None and repo_config else None
    try:
        git_values = read_git_config(repo)
    except BaseException:
        if early is not None:
            early.kill()
            early.wait()
        raise
    if repo is not None and repo_config:
        branch = flag_values.get("state_branch", env_values.get(
            "state_branch", git_values["state_branch"][0] if "state_branch" in git_values
            else values["state_branch"].value))
        values.update(_repo_level(repo, str(branch), early if branch == guess else None, early))

    for key, (text, name) in git_values.items():
        values[key] = Value(key, parse_text(key, text, source=f"git config {name}"), "git",
                            f"git config {name}")
    for key, value in env_values.items():
        values[key] = Value(key, value, "env", f"env {env_key(key)}")
    for key, value in flag_values.items():
        typed = (parse_text(key, value, source="flag") if isinstance(value, str)
                 else check_typed(key, value, Location(file="command line")))
        values[key] = Value(key, typed, "flag", "command line")
    return values


def _repo_level(repo: Repo, branch: str, started: GitProcess | None,
                early: GitProcess | None) -> dict[str, Value]:
    """The repo config level: `config.toml` on `branch`, from the read `started` on the
    right branch (else read now; an early read of another branch is stopped)."""
    if early is not None and started is None:
        early.kill()
        early.wait()
    data = _finish_repo_config_read(started) if started is not None else read_repo_config_bytes(repo, branch)
    if data is None:
        return {}
    label = f"{branch}:{REPO_CONFIG}"
    out: dict[str, Value] = {}
    for key, (value, line) in _parse_repo_toml(data, label).items():
        if key in NOT_IN_REPO_CONFIG:
            raise ConfigError(
                f"{key} cannot be set in the repo config (it lives on that branch)",
                where=Location(file=label, line=line),
                hint=f"use `git config {git_key(key)}` or {env_key(key)}",
            )
        out[key] = Value(key, value, "repo", label)
    return out


def _parse_repo_toml(data: bytes, label: str) -> dict[str, tuple[Any, int | None]]:
    """parse_toml, with the way out when the file (which may come from another clone via
    sync) cannot be used: it lives on the branch, not in a file a user can edit."""
    try:
        return parse_toml(data, label)
    except ConfigError as exc:
        if exc.hint is None or "did you mean" in exc.hint:
            what = f"{exc.hint}; or " if exc.hint else ""
            exc.hint = (f"{what}`git orch config unset --repo --all` removes the repo config "
                        "(its history stays on the branch), then set values again")
        raise


def settings(repo: Repo | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """The effective settings for `repo` (cached for the process; clear `_cache` in tests)."""
    base: object = repo.common_dir if repo else None
    key: object = (base, tuple(sorted((k, repr(v)) for k, v in overrides.items()))) if overrides else base
    cached = _cache.get(key)
    if cached is not None:
        return cached
    values = explain(repo, overrides)
    result = msgspec.convert({k: v.value for k, v in values.items()}, Settings)
    _cache[key] = result
    return result


def open_store(repo: Repo | None = None, *, backend: str | None = None) -> StateStore:
    """The state store the settings of `repo` (default: the current repository) describe:
    its branch, notes ref, lock timeout and backend (`backend` overrides the setting).
    Settings come first and the store knows nothing of them, so the store never imports
    config; a command with a Context uses `ctx.store` instead."""
    from gitorch.repo import find_repo
    from gitorch.store.state import StateStore

    repo = repo or find_repo()
    s = settings(repo)
    return StateStore(repo, backend=backend or s.backend, branch=s.state_branch,
                      notes_ref=s.notes_ref, lock_timeout=float(s.lock_timeout))
