"""Settings: one typed object per process.

CONTRACT: `settings(repo)` returns the effective `Settings`. The config issue adds the
full precedence (defaults < user config < repo config on the state branch < git config
`orch.*` < `GITORCH_*` environment < flags) and `config show --effective` with sources.
This first version reads defaults, git config and the environment only.
"""

from __future__ import annotations

import os

import msgspec

from gitorch.repo import Repo


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    state_branch: str = "orch/state"
    notes_ref: str = "refs/notes/orch"
    backend: str = "auto"  # auto | pygit2 | cli
    lock_timeout: float = 30.0  # seconds to wait for a held lock before exit 4
    jobs: int = 0  # 0: number of cores
    dashboard: bool = False  # also write TASKS.md to the work tree
    sync_after_run: bool = False
    hooks: bool = True
    portable: bool = False
    excerpt_bytes: int = 4000
    forge_url: str = "https://api.github.com"
    pypi_url: str = "https://pypi.org"
    npm_url: str = "https://registry.npmjs.org"
    crates_url: str = "https://crates.io"
    hex_url: str = "https://hex.pm"


_cache: dict[object, Settings] = {}


def settings(repo: Repo | None = None) -> Settings:
    """The effective settings for `repo` (cached for the process)."""
    key = repo.common_dir if repo else None
    if key in _cache:
        return _cache[key]
    values: dict[str, object] = {}
    env_backend = os.environ.get("GITORCH_BACKEND")
    for field in msgspec.structs.fields(Settings):
        env = os.environ.get("GITORCH_" + field.name.upper())
        if env is not None:
            values[field.name] = env
    if env_backend:
        values["backend"] = env_backend
    result = msgspec.convert(values, Settings, strict=False)
    _cache[key] = result
    return result
