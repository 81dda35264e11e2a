"""Writing one level: the user's TOML file (atomically, under a lock), `config.toml` on the
state branch (one append, under a lock, so concurrent `config set --repo` all land) or git
config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from gitorch import atomic
from gitorch.config.files import (
    display_path,
    parse_toml,
    read_git_config,
    read_repo_config_bytes,
    read_user_config,
    user_config_path,
)
from gitorch.config.model import (
    NOT_IN_REPO_CONFIG,
    Settings,
    Value,
    canonical_key,
    format_value,
    git_key,
    parse_text,
)
from gitorch.config.read import _cache, _parse_repo_toml, explain, settings
from gitorch.errors import ConfigError
from gitorch.repo import Repo
from gitorch.store.layout import REPO_CONFIG


def _dump_toml(values: dict[str, Any]) -> bytes:
    import tomli_w

    return tomli_w.dumps(dict(sorted(values.items()))).encode()


def _write_user_config(values: dict[str, Any]) -> Path:
    path = user_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(path, _dump_toml(values))
    return path


def _repo_values(repo: Repo, *, parse: bool = True) -> tuple[Any, dict[str, Any]]:
    """The store (opened with every level but the repo config, so a broken one can still be
    repaired) and the repo config's values (none when not `parse`)."""
    from gitorch.store.state import StateStore

    s = msgspec.convert({k: v.value for k, v in explain(repo, repo_config=False).items()}, Settings)
    store = StateStore(repo, backend=s.backend, branch=s.state_branch, notes_ref=s.notes_ref,
                       lock_timeout=float(s.lock_timeout))
    data = store.read(REPO_CONFIG) if parse and store.exists() else None
    label = f"{store.branch}:{REPO_CONFIG}"
    parsed = _parse_repo_toml(data, label) if data is not None else {}
    return store, {k: v for k, (v, _line) in parsed.items()}


def _repo_config_lock(repo: Repo) -> Any:
    """Held from reading config.toml to committing it, so that concurrent `config set --repo`
    of different keys all land (each rewrites the whole file)."""
    from gitorch.store.locks import Lock

    timeout = explain(repo, repo_config=False)["lock_timeout"].value
    return Lock(repo.common_dir / "orch" / "locks", "repo-config", float(timeout))


def _user_config_lock(repo: Repo | None) -> Any:
    """The same for the user config file (`config.lock` beside it)."""
    from gitorch.store.locks import Lock

    return Lock(user_config_path().parent, "config", float(settings(repo).lock_timeout))


def _write_repo(store: Any, values: dict[str, Any], key: str, action: str) -> None:
    from gitorch.events import ConfigChanged

    data = _dump_toml(values) if values else None
    store.append(
        [ConfigChanged(key=key, action=action)],
        files={REPO_CONFIG: data},
        message=f"config: {action} {key}",
    )


def set_value(repo: Repo | None, key: str, text: str, level: str = "git") -> Value:
    """Set `key` at one level (user, repo or git) from its text form; returns what was set."""
    key = canonical_key(key)
    value = parse_text(key, text)
    if level == "user":
        with _user_config_lock(repo):
            _path, current = read_user_config()
            merged = {k: v for k, (v, _line) in current.items()}
            merged[key] = value
            path = _write_user_config(merged)
        source = display_path(path)
    elif level == "repo":
        if key in NOT_IN_REPO_CONFIG:
            raise ConfigError(
                f"{key} cannot be set in the repo config (it lives on that branch)",
                hint=f"use `git orch config set {key} VALUE --local` or --user",
            )
        repo = _need_repo(repo, level)
        with _repo_config_lock(repo):
            store, merged = _repo_values(repo)
            merged[key] = value
            _write_repo(store, merged, key, "set")
        source = f"{store.branch}:{REPO_CONFIG}"
    elif level == "git":
        repo = _need_repo(repo, level)
        from gitorch.gitcmd import git

        git(["config", git_key(key), format_value(value)], repo.cwd)
        source = f"git config {git_key(key)}"
    else:
        raise ConfigError(f"cannot write config level {level!r} (use --user, --repo or --local)")
    _cache.clear()
    return Value(key, value, level, source)


def unset_repo_config(repo: Repo | None) -> bool:
    """Remove `config.toml` from the state branch, readable or not; True when it was there."""
    repo = _need_repo(repo, "repo")
    with _repo_config_lock(repo):
        store, _values = _repo_values(repo, parse=False)
        with store:
            if not store.exists() or store.read(REPO_CONFIG) is None:
                return False
            _write_repo(store, {}, "--all", "unset")
    _cache.clear()
    return True


def unset_value(repo: Repo | None, key: str, level: str = "git") -> bool:
    """Remove `key` from one level; True when it was set there."""
    key = canonical_key(key)
    if level == "user":
        with _user_config_lock(repo):
            _path, current = read_user_config()
            if key not in current:
                return False
            _write_user_config({k: v for k, (v, _line) in current.items() if k != key})
    elif level == "repo":
        repo = _need_repo(repo, level)
        with _repo_config_lock(repo):
            store, merged = _repo_values(repo)
            if key not in merged:
                return False
            del merged[key]
            _write_repo(store, merged, key, "unset")
    elif level == "git":
        repo = _need_repo(repo, level)
        from gitorch.gitcmd import git

        proc = git(["config", "--unset-all", git_key(key)], repo.cwd, check=False)
        if proc.returncode == 5:  # git: the key was not set
            return False
        if proc.returncode != 0:
            raise ConfigError(f"git config --unset-all {git_key(key)} failed: "
                              f"{proc.stderr.decode(errors='replace').strip()}")
    else:
        raise ConfigError(f"cannot write config level {level!r} (use --user, --repo or --local)")
    _cache.clear()
    return True


def level_value(repo: Repo | None, key: str, level: str) -> Value | None:
    """`key` as set at exactly one level, or None."""
    key = canonical_key(key)
    if level == "user":
        path, current = read_user_config()
        return Value(key, current[key][0], "user", display_path(path)) if key in current else None
    if level == "repo":
        repo = _need_repo(repo, level)
        branch = settings(repo).state_branch
        data = read_repo_config_bytes(repo, branch)
        label = f"{branch}:{REPO_CONFIG}"
        parsed = parse_toml(data, label) if data is not None else {}
        return Value(key, parsed[key][0], "repo", label) if key in parsed else None
    if level == "git":
        found = read_git_config(repo).get(key)
        if found is None:
            return None
        text, name = found
        return Value(key, parse_text(key, text, source=f"git config {name}"), "git", f"git config {name}")
    raise ConfigError(f"unknown config level {level!r} (use --user, --repo or --local)")


def _need_repo(repo: Repo | None, level: str) -> Repo:
    if repo is None:
        from gitorch.errors import NotARepoError

        raise NotARepoError(f"the {level} config level needs a git repository (not inside one here)",
                            hint="run it inside your repository, or use --user for every repository")
    return repo
