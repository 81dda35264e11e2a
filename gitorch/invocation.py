"""The name of the command the user ran: `git orch`, or `python orch.pyz` for the zipapp.

Every hint, usage line and message that tells the user what to type next uses `name()`,
so a zipapp user is never told to run `git orch`, which is not a command for them. Kept to
the standard library's os and sys: the hooks import it.
"""

from __future__ import annotations

import os
import sys

DEFAULT = "git orch"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")


def _quote(word: str) -> str:
    """shlex.quote without importing shlex (and re) on the hook's path."""
    if word and all(c in _SAFE for c in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def zipapp_archive() -> str | None:
    """The orch.pyz this gitorch was extracted from, or None for an installed gitorch.

    The bootstrap (or a hook installed from the archive) names the archive in GITORCH_ZIPAPP;
    the variable counts only when this gitorch really was imported from the zipapp's cache
    (an entry with a `.complete` marker), so an installed `git orch` started by a task of a
    zipapp run is not mistaken for the archive.
    """
    archive = os.environ.get("GITORCH_ZIPAPP")
    if not archive:
        return None
    import gitorch

    site = os.path.dirname(os.path.dirname(os.path.abspath(gitorch.__file__)))
    if site == os.environ.get("GITORCH_ZIPAPP_SITE"):  # a first start imports from the archive's payload
        return archive
    return archive if os.path.exists(os.path.join(site, ".complete")) else None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def name() -> str:
    """How to run gitorch again, as the user ran it: `git orch`, `python orch.pyz`,
    `python3 -m gitorch`."""
    argv = list(getattr(sys, "orig_argv", None) or [sys.executable])
    archive = zipapp_archive()
    if archive is not None:
        for arg in argv[1:]:
            if not arg.startswith("-") and _same_file(arg, archive):
                return f"{_quote(argv[0])} {_quote(arg)}"
        return f"{_quote(sys.executable)} {_quote(archive)}"  # a hook: absolute paths
    if argv[1:3] == ["-m", "gitorch"]:
        return f"{_quote(argv[0])} -m gitorch"
    return DEFAULT


def localize(text: str) -> str:
    """`text` with each `git orch` naming the command the user actually ran."""
    current = name()
    return text if current == DEFAULT or DEFAULT not in text else text.replace(DEFAULT, current)
