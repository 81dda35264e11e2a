"""Which git backend to use: pygit2 when importable, else the git CLI (GITORCH_BACKEND)."""

from __future__ import annotations

import importlib.util
import os


def backend_name(requested: str | None = None) -> str:
    """'pygit2' or 'cli', without importing pygit2."""
    want = (requested or os.environ.get("GITORCH_BACKEND") or "auto").lower()
    if want in ("cli", "git"):
        return "cli"
    if want == "pygit2":
        return "pygit2"
    return "pygit2" if importlib.util.find_spec("pygit2") is not None else "cli"
