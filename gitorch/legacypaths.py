"""Where the legacy state of the tools gitorch replaces lives (migrate/legacy.py reads it),
and the cheap test whether any of it is present. Standard library only: the read-only
commands (status, report) ask `exists` before they import the migrate package, which costs
them ~10 ms on the common path where nothing legacy is there."""

from __future__ import annotations

import os
from pathlib import Path

SINGLE_FILES = (
    ".workflow_state.json", ".workflow_log.jsonl", ".workflow_feedback.jsonl",
    ".workflow_tool_feedback.jsonl", ".workflow_process_feedback.jsonl",
)
DIRECTORIES = (".orchestrator", ".workflow_checkpoints", ".codex/runs", ".graft")


def exists(root: Path) -> bool:
    """Cheap test: is any legacy path present (without reading anything)?"""
    return any(os.path.lexists(root / p) for p in (*SINGLE_FILES, *DIRECTORIES))
