"""What a migrate command did or would do: one shape for import, removal and rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """What a migrate command did or would do (rendered by the CLI)."""

    action: str  # dry-run | imported | no-op | nothing | prefer-state | removed | rolled-back
    message: str
    migration: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    event_types: dict[str, int] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)  # imported runs (legacy:<workflow_id>)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    symlinks: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    worktrees: list[str] = field(default_factory=list)
    foreign: list[dict[str, str]] = field(default_factory=list)
    tracked: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    refused: dict[str, Any] | None = None  # the error the migration would stop with
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))
