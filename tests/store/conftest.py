"""Fixtures of the store tests: a backend (pygit2 or git CLI, per the `backend` fixture) on
the test's repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitorch.store.backend import Backend
from gitorch.store.select import open_backend


@pytest.fixture
def be(repo: Path, backend: str) -> Iterator[Backend]:
    """The backend under test, opened on `repo`, closed after the test."""
    b, _choice = open_backend(str(repo / ".git"), backend, str(repo / ".git" / "orch"))
    yield b
    b.close()
