"""Concurrent `config set` of different keys at one level: every value lands."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import git

KEYS = ("jobs", "excerpt_bytes", "http_retries", "http_timeout")


@pytest.mark.parametrize("level", ["--repo", "--user"])
def test_concurrent_sets_lose_nothing(repo: Path, level: str) -> None:
    procs = [subprocess.Popen(["git", "orch", "config", "set", key, "3", level], cwd=repo,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
             for key in KEYS]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    if level == "--repo":
        text = git(repo, "show", "orch/state:config.toml")
    else:
        text = (Path(os.environ["XDG_CONFIG_HOME"]) / "gitorch" / "config.toml").read_text()
    assert sorted(tomllib.loads(text)) == sorted(KEYS)
