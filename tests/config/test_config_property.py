"""Property: whatever subset of levels sets a key, the highest one wins and is named."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import config
from gitorch.repo import find_repo

LEVELS = ["user", "repo", "git", "env", "flag"]
SOURCES = {
    "user": "~/.config/gitorch/config.toml",
    "repo": "orch/state:config.toml",
    "git": "git config orch.excerptBytes",
    "env": "env GITORCH_EXCERPT_BYTES",
    "flag": "command line",
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=st.sets(st.sampled_from(LEVELS)))
def test_highest_level_wins(repo: Path, chosen: set[str]) -> None:
    r = find_repo(repo)
    values = {level: 100 + i for i, level in enumerate(LEVELS)}
    try:
        for level in ("user", "repo", "git"):
            if level in chosen:
                config.set_value(r, "excerpt_bytes", str(values[level]), level)
            else:
                config.unset_value(r, "excerpt_bytes", level)
        if "env" in chosen:
            os.environ["GITORCH_EXCERPT_BYTES"] = str(values["env"])
        overrides = {"excerpt_bytes": values["flag"]} if "flag" in chosen else None
        config._cache.clear()
        got = config.explain(r, overrides)["excerpt_bytes"]
        top = max(chosen, key=LEVELS.index) if chosen else None
        if top is None:
            assert (got.value, got.source) == (4000, "default")
        else:
            assert (got.value, got.source) == (values[top], SOURCES[top])
        assert config.settings(r, overrides).excerpt_bytes == got.value
    finally:
        os.environ.pop("GITORCH_EXCERPT_BYTES", None)
        config._cache.clear()


def test_global_git_config_counts_as_git_config(repo: Path) -> None:
    # Global git config (the user's ~/.gitconfig) counts as git config too.
    subprocess.run(["git", "config", "--global", "orch.jobs", "5"], check=True)
    config._cache.clear()
    assert config.explain(find_repo(repo))["jobs"].source == "git config orch.jobs"
