"""gitorch.atomic: a file is replaced whole or not at all; no temp file is left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gitorch import atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic.write_bytes(target, b"one")
    assert target.read_bytes() == b"one"
    atomic.write_text(target, "twö")
    assert target.read_text(encoding="utf-8") == "twö"
    assert _leftovers(tmp_path) == []


def test_new_file_follows_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic.write_bytes(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o640


def test_mode_kept_or_set(tmp_path: Path) -> None:
    target = tmp_path / "hook"
    target.write_text("old")
    target.chmod(0o750)
    atomic.write_text(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    atomic.write_text(target, "secret", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_failure_before_replace_leaves_target_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"before")

    def crash() -> None:
        raise OSError("injected")

    with pytest.raises(OSError, match="injected"):
        atomic.write_bytes(target, b"after", before_replace=crash)
    assert target.read_bytes() == b"before"
    assert _leftovers(tmp_path) == []


def test_failure_while_streaming_leaves_target(tmp_path: Path) -> None:
    target = tmp_path / "export.tar.gz"
    with pytest.raises(RuntimeError), atomic.replacing(target) as fh:
        fh.write(b"half")
        raise RuntimeError("writer died")
    assert not target.exists()
    assert _leftovers(tmp_path) == []


def test_missing_folder_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic.write_bytes(tmp_path / "no" / "such" / "file", b"x")
    assert list(tmp_path.iterdir()) == []


def test_replacing_a_directory_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):
        atomic.write_bytes(tmp_path / "d", b"x")
    assert (tmp_path / "d").is_dir()
    assert _leftovers(tmp_path) == []
