"""Which git backend to use: pygit2 when importable, else the git CLI (GITORCH_BACKEND).

"auto" in the run engine's commands (status, next, explain, report, events, and run itself)
means the git CLI: importing pygit2 costs ~90 ms (libgit2, ssl, its enums), more than the
few `cat-file` round trips a read makes, and a run commits in batches (measured: a
1,000-task run and a skip-everything re-run are as fast or faster on the CLI backend).
The CLI calls `prefer_cli()` first for those; an explicit choice (config `backend`,
GITORCH_BACKEND) still wins.
"""

from __future__ import annotations

import importlib.util
import os

_prefer_cli = False


def prefer_cli(value: bool = True) -> None:
    """Make "auto" resolve to the git CLI backend in this process (see the module docstring)."""
    global _prefer_cli
    _prefer_cli = value


def backend_name(requested: str | None = None) -> str:
    """'pygit2' or 'cli', without importing pygit2."""
    want = (requested or os.environ.get("GITORCH_BACKEND") or "auto").lower()
    if want in ("cli", "git"):
        return "cli"
    if want == "pygit2":
        return "pygit2"
    if _prefer_cli:
        return "cli"
    return "pygit2" if importlib.util.find_spec("pygit2") is not None else "cli"


def describe() -> str:
    """The backend as `--version` and `self-check` tell it, e.g. "cli" or "auto (…)"."""
    name = backend_name()
    want = (os.environ.get("GITORCH_BACKEND") or "auto").lower()
    if want == "auto" and name == "pygit2":
        return "pygit2 (runs and reads use the git CLI: faster to start)"
    return name
