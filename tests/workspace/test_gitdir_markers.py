"""workspace/gitdir.in_progress: the operation git left unfinished, from one listing of the git
directory, answering as a stat of each marker file did (its order, a dangling link, no folder)."""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.workspace.gitdir import _MARKERS, in_progress


def test_each_marker_in_its_order(tmp_path: Path) -> None:
    gitdir = tmp_path / "git"
    gitdir.mkdir()
    (gitdir / "HEAD").write_text("ref: refs/heads/main\n")
    assert in_progress(gitdir) is None and in_progress(str(gitdir)) is None
    for marker, kind in reversed(_MARKERS):  # each one added wins over those after it
        if marker.startswith("rebase-"):
            (gitdir / marker).mkdir()
        else:
            (gitdir / marker).write_text("x\n")
        assert in_progress(gitdir) == kind
    assert in_progress(gitdir) == "rebase"


def test_a_dangling_link_and_a_missing_folder_are_no_marker(tmp_path: Path) -> None:
    gitdir = tmp_path / "git"
    gitdir.mkdir()
    os.symlink(tmp_path / "gone", gitdir / "MERGE_HEAD")
    assert in_progress(gitdir) is None
    assert in_progress(tmp_path / "missing") is None and in_progress(None) is None
