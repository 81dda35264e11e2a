"""Fixtures: the five-ecosystem workspace as real git repos; the current directory is its hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fixtures import build


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The workspace (every repo under tmp_path/ws); cwd is hub, which holds workspace.toml."""
    path = build(tmp_path / "ws")
    monkeypatch.chdir(path)
    return path
