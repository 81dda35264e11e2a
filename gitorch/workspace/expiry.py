"""Where ephemeral workspaces are recorded, and whether any is: what the sweep every `ws`
command runs first asks before loading their code.

Most repositories have no ephemeral workspace: their records folder is missing or empty, and
one directory read says so, without importing workspace/ephemeral.py (msgspec, apply,
materialize: 40-190 ms at load, before `ws snapshot` could start).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.repo import Repo


def records_dir(repo: Repo) -> Path:
    """Where the records of `repo`'s ephemeral workspaces live (`<name>.json` each)."""
    return repo.scratch / "workspace" / "ephemeral"


def any_recorded(repo: Repo) -> bool:
    """Whether `repo` has a record of an ephemeral workspace (expired or not)."""
    try:
        with os.scandir(records_dir(repo)) as entries:
            return any(e.name.endswith(".json") for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False
