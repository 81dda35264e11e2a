"""What a run verified, in words: the commit, or the uncommitted changes on top of it."""

from __future__ import annotations

from collections.abc import Callable

from gitorch.views.fold import RunView


def verified_text(run: RunView, code: Callable[[str], str]) -> str:
    """"commit `abc`", or "uncommitted changes in 3 files (tree `def`) on top of `abc`"."""
    if not run.dirty:
        return f"commit {code(run.commit)}" if run.commit else "(no commit recorded)"
    files = f"{run.dirty} file{'s' if run.dirty != 1 else ''}"
    tree = f" (tree {code(run.tree)})" if run.tree else ""
    on = f" on top of commit {code(run.commit)}" if run.commit else ""
    return f"uncommitted changes in {files}{tree}{on}"
