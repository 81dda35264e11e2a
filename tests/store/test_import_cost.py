"""Read-only state commands import only what they use (each module costs every command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo


def _imported(repo: Path, *args: str, env: dict[str, str] | None = None) -> set[str]:
    import os

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", *args], cwd=repo,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.mark.parametrize("args", [("events",), ("state", "log"), ("sessions",)])
def test_reading_state_neither_locks_nor_talks_http(repo: Path, args: tuple[str, ...]) -> None:
    with open_store(find_repo(repo)) as store:
        store.append([ev.RunStarted(run="r1")])
    found = _imported(repo, *args, env={"GITORCH_BACKEND": "cli"})
    assert not found & {"portalocker", "httpx", "pygit2", "yaml"}, found & {"portalocker", "httpx", "pygit2"}
