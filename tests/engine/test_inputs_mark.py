"""A finished task's final inputs without git when its paths are untouched since the run read
them (inputs.clock_mark / untouched_since, issue 15 P7): every kind of change is seen, and a
real run records exactly what reading every task's paths again from git records."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gitorch.engine import inputs
from gitorch.engine.inputs import clock_mark, untouched_since

PATTERNS = ["d/", "f.txt"]


def _tree(root: Path) -> inputs.Mark:
    for name in ("d/a.txt", "d/sub/b.txt", "f.txt", "other/o.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    mark = _mark_after(root)
    assert mark[0] == os.lstat(root / "f.txt").st_dev
    assert list((root / "scratch").iterdir()) == []  # the mark's file is gone again
    return mark


def _mark_after(root: Path) -> inputs.Mark:
    """A mark the file system's clock took after everything below `root` was written (its
    clock moves in steps of a few ms: a change in the mark's own step counts as a change)."""
    (root / "scratch").mkdir(exist_ok=True)
    newest = max(os.lstat(os.path.join(d, n)).st_ctime_ns for d, dirs, files in os.walk(root)
                 for n in dirs + files)
    while True:
        mark = clock_mark(root / "scratch")
        assert mark is not None
        if mark[1] > newest:
            return mark
        time.sleep(0.001)


def test_nothing_changed_is_untouched(tmp_path: Path) -> None:
    mark = _tree(tmp_path)
    (tmp_path / "d/a.txt").read_text()  # reading changes nothing
    (tmp_path / "other/o.txt").write_text("elsewhere")  # outside the paths
    assert untouched_since(tmp_path, PATTERNS, mark)


@pytest.mark.parametrize("change", [
    "write", "same size and mtime", "chmod", "new file", "new file below", "remove", "rename",
    "new folder", "remove named file", "replace named file",
])
def test_every_change_is_seen(tmp_path: Path, change: str) -> None:
    mark = _tree(tmp_path)
    a, b = tmp_path / "d/a.txt", tmp_path / "d/sub/b.txt"
    if change == "write":
        a.write_text("changed, longer")
    elif change == "same size and mtime":
        st = os.stat(b)
        b.write_text("d/sub/b.txX")
        os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and mtime as they were
    elif change == "chmod":
        a.chmod(0o755)
    elif change == "new file":
        (tmp_path / "d/new.txt").write_text("")
    elif change == "new file below":
        (tmp_path / "d/sub/new.txt").write_text("")
    elif change == "remove":
        b.unlink()
    elif change == "rename":
        b.rename(tmp_path / "d/sub/c.txt")
    elif change == "new folder":
        (tmp_path / "d/sub/deeper").mkdir()
    elif change == "remove named file":
        (tmp_path / "f.txt").unlink()
    else:
        (tmp_path / "f.tmp").write_text("f.txt")
        (tmp_path / "f.tmp").replace(tmp_path / "f.txt")  # an atomic rewrite, same bytes
    assert not untouched_since(tmp_path, PATTERNS, mark)


def test_a_change_in_the_marks_own_clock_step_counts(tmp_path: Path) -> None:
    mark = _tree(tmp_path)
    assert not untouched_since(tmp_path, PATTERNS, (mark[0], os.lstat(tmp_path / "f.txt").st_ctime_ns))


def test_what_it_cannot_judge_goes_to_git(tmp_path: Path) -> None:
    mark = _tree(tmp_path)
    assert not untouched_since(tmp_path, ["d/*.txt"], mark)  # globs
    assert not untouched_since(tmp_path, [], mark)  # the whole tree
    assert not untouched_since(tmp_path, ["missing.txt"], mark)  # absent now
    assert not untouched_since(tmp_path, PATTERNS, (mark[0] + 1, mark[1]))  # another device
    assert clock_mark(tmp_path / "no-such-folder") is None


def test_a_nested_git_dir_and_linked_folders_are_not_walked(tmp_path: Path) -> None:
    """As os.walk lists a folder's files: a nested repository's .git and what a link to a
    folder points at are not inputs; the link itself is."""
    (tmp_path / "d/.git").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "d/link")
    mark = _mark_after(tmp_path)
    (tmp_path / "d/.git/index").write_text("a nested repository's work")
    (tmp_path / "elsewhere/x").write_text("behind a link")
    assert untouched_since(tmp_path, ["d/"], mark)
    (tmp_path / "d/link").unlink()
    assert not untouched_since(tmp_path, ["d/"], mark)
