"""Settings: one typed object per process, built from six levels.

Precedence, lowest to highest (the seed's hierarchy, with git as the home):

1. defaults (the `Settings` field defaults)
2. user config: TOML at `<platformdirs user config dir>/gitorch/config.toml`
3. repo config: `config.toml` on the state branch (travels with `git orch sync`)
4. git config: `orch.*` keys (`git config orch.stateBranch orch/state`), read in one call
5. environment: `GITORCH_*` (`GITORCH_STATE_BRANCH`)
6. flags: `settings(repo, overrides={...})`

The state branch's name cannot come from the repo config (which lives on that branch):
it is taken from every other level first, so reading the repo config is never circular.
`explain()` gives each value with its source for `git orch config show --effective`.

model.py is what a setting is (names, types, checks), files.py reads the user file, the
repo config and git config, read.py puts the levels together, write.py changes one level.
"""


from __future__ import annotations

from gitorch.config.files import (
    display_path,
    parse_toml,
    read_git_config,
    read_repo_config_bytes,
    read_user_config,
    user_config_path,
)
from gitorch.config.model import (
    FIELDS,
    LEVELS,
    NOT_IN_REPO_CONFIG,
    Settings,
    Value,
    canonical_key,
    check_typed,
    check_value,
    env_key,
    format_value,
    git_key,
    parse_text,
)
from gitorch.config.read import _cache, explain, open_store, settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitorch.config.write import level_value, set_value, unset_repo_config, unset_value

# Changing a level (config.write, with gitorch.atomic) is `git orch config`'s alone: every
# other command reads settings only, so those four load on first use (PEP 562).
_WRITE = frozenset({"level_value", "set_value", "unset_repo_config", "unset_value"})


def __getattr__(name: str) -> object:
    if name in _WRITE:
        from gitorch.config import write

        return getattr(write, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_WRITE})


__all__ = [
    "FIELDS", "LEVELS", "NOT_IN_REPO_CONFIG", "Settings", "Value", "_cache", "canonical_key",
    "check_typed", "check_value", "display_path", "env_key", "explain", "format_value", "git_key",
    "level_value", "open_store", "parse_text", "parse_toml", "read_git_config",
    "read_repo_config_bytes", "read_user_config", "set_value", "settings", "unset_repo_config",
    "unset_value", "user_config_path",
]
