"""Fixtures for view tests."""

from __future__ import annotations

import pytest

from .scenarios import Log


@pytest.fixture
def log() -> Log:
    """An empty event log for run r-1, one second between events."""
    return Log()
