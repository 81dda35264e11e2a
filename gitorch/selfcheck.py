"""What this gitorch runs on: Python, git, backend, cache location, zipapp or installed."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

from gitorch import __version__
from gitorch.gitcmd import git_out
from gitorch.invocation import zipapp_archive
from gitorch.store.select import describe


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            return True
    except OSError:
        return False


def gather() -> dict[str, object]:
    """A flat report; `ok` is False when something gitorch needs is missing."""
    import platformdirs

    git_path = shutil.which("git")
    git_version = git_out(["--version"]) if git_path else None
    zipapp = zipapp_archive()  # not an inherited GITORCH_ZIPAPP: the archive this gitorch runs from
    cache = (os.environ.get("GITORCH_ZIPAPP_CACHE") if zipapp else None) or platformdirs.user_cache_dir(
        "gitorch", appauthor=False)
    try:
        from gitorch.ephemeral import detect

        ephemeral = detect()
    except ImportError:
        ephemeral = None
    writable = _writable(cache)
    return {
        "gitorch": __version__,
        "python": f"{sys.version.split()[0]} ({sys.executable})",
        "git": git_version or "missing: install git",
        "backend": describe(),
        "mode": f"zipapp {zipapp}" if zipapp else "installed",
        "cache": cache,
        "cache_writable": writable,
        "ephemeral": ephemeral or "no",
        # Only the zipapp needs the cache (its compiled modules are extracted there).
        "ok": bool(git_path) and (writable or not zipapp),
    }
