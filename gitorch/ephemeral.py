"""Is this machine ephemeral (state would be lost with it)? Stdlib only: cheap to import.

The seed's checks: a web agent session, GitHub Codespaces, Gitpod, or a home directory
that cannot be written. `GITORCH_EPHEMERAL=1` forces it on, `=0` off.
"""

from __future__ import annotations

import os

# (variable, value that must match or None for "set at all", what to call it)
_MARKERS: tuple[tuple[str, str | None, str], ...] = (
    ("CLAUDE_CODE_WEB", "1", "web agent session (CLAUDE_CODE_WEB)"),
    ("CODESPACES", "true", "GitHub Codespaces"),
    ("GITHUB_CODESPACES", "1", "GitHub Codespaces"),
    ("GITPOD_WORKSPACE_ID", None, "Gitpod"),
)


def detect() -> str | None:
    """A short description of the ephemeral environment this process runs in, or None."""
    forced = os.environ.get("GITORCH_EPHEMERAL")
    if forced is not None and forced.strip() != "":
        return "forced by GITORCH_EPHEMERAL" if forced.strip().lower() in ("1", "true", "yes") else None
    for var, want, label in _MARKERS:
        value = os.environ.get(var)
        if value is None or value == "":
            continue
        if want is None or value.strip().lower() == want:
            return label
    home = os.path.expanduser("~")
    if home and home != "~" and not os.access(home, os.W_OK):
        return f"home directory {home} is not writable"
    return None
