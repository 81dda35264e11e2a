"""Helpers of the in-process engine tests: a Context over a real temporary repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitorch.context import Context, build_context


def write_plan(root: Path, tasks: list[dict[str, Any]], **top: Any) -> None:
    (root / "orchestrator.json").write_text(json.dumps({"version": 1, **top, "tasks": tasks}, indent=1))


def fresh_context(root: Path) -> Context:
    """A new Context (a new command): settings and the store read again."""
    from gitorch import config

    config._cache.clear()
    return build_context(cwd=root)


