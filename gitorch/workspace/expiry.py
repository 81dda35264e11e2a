"""The sweep of expired ephemeral workspaces that every `ws` command runs first, kept light.

Most repositories have no ephemeral workspace: their records folder is missing or empty, and
the sweep ends after one directory read, without importing the ephemeral workspaces' code
(msgspec, apply, materialize: about 40-120 ms at load, before `ws snapshot` could start).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.repo import Repo
    from gitorch.store.state import StateStore


def records_dir(repo: Repo) -> Path:
    """Where the records of `repo`'s ephemeral workspaces live (`<name>.json` each)."""
    return repo.scratch / "workspace" / "ephemeral"


def sweep_expired(repo: Repo, store: Callable[[], StateStore]) -> list[tuple[str, str]]:
    """What every `ws` command does first: remove expired ephemeral workspaces that hold no
    work; those kept (uncommitted changes, new commits) are returned with the reason."""
    try:
        with os.scandir(records_dir(repo)) as entries:
            if not any(e.name.endswith(".json") for e in entries):
                return []
    except (FileNotFoundError, NotADirectoryError):
        return []
    from gitorch.workspace.ephemeral import sweep_expired as sweep

    return sweep(repo, store)
