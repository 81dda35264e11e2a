"""A finished task's final inputs without git when its paths are untouched since the run read
them (inputs.clock_mark / untouched_since, issue 15 P7): every kind of change is seen, and a
real run records exactly what reading every task's paths again from git records."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from gitorch.engine import inputs
from gitorch.engine.inputs import clock_mark, untouched_since
from tests.conftest import OrchRunner, git, make_repo
from tests.engine.helpers import fresh_context, write_plan

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


TASKS = [
    {"id": "adds", "paths": {"preferred": ["a/"]}, "commands": {"t": "printf new > a/out.txt"}},
    {"id": "edits", "paths": {"preferred": ["b/"]}, "commands": {"t": "printf changed > b/x.txt"}},
    {"id": "touches", "paths": {"preferred": ["c/"]}, "commands": {"t": "touch c/z.txt"}},
    {"id": "removes", "paths": {"preferred": ["e/"]}, "commands": {"t": "rm e/gone.txt"}},
    {"id": "reads", "paths": {"preferred": ["f/", "top.txt"]}, "commands": {"t": "cat f/y.txt top.txt"}},
    {"id": "globs", "paths": {"preferred": ["g/*.txt"]}, "commands": {"t": "printf g > g/new.txt"}},
    {"id": "after", "dependencies": ["adds"], "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
]
FILES = {"a/one.txt": "1\n", "b/x.txt": "x\n", "c/z.txt": "z\n", "e/gone.txt": "g\n", "e/kept.txt": "k\n",
         "f/y.txt": "y\n", "top.txt": "t\n", "g/old.txt": "o\n"}


def _run(root: Path, backend: str) -> tuple[dict[str, dict[str, object]], list[str]]:
    """A real run of TASKS in `root`: what watch.json records per task (without the run's id
    and commit) and the tasks whose final inputs were read from git again."""
    from gitorch.engine.run import RunOptions, execute

    refreshed: list[str] = []
    real = inputs.refresh

    def counting(ti: inputs.TaskInputs, where: Path) -> inputs.TaskInputs:
        refreshed.append(ti.task)
        return real(ti, where)

    inputs.refresh = counting  # type: ignore[assignment]
    try:
        result = execute(fresh_context(root), RunOptions())
    finally:
        inputs.refresh = real  # type: ignore[assignment]
    assert result.exit_code == 0, result
    watch = json.loads(git(root, "show", "orch/state:watch.json"))["tasks"]
    return ({t: {k: v for k, v in e.items() if k not in ("run", "commit")} for t, e in watch.items()},
            sorted(refreshed))


def test_a_run_records_what_reading_every_task_again_from_git_records(
        tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch, orch: OrchRunner) -> None:
    roots = []
    for name in ("fast", "slow"):
        root = make_repo(tmp_path / name, FILES)
        write_plan(root, TASKS)
        git(root, "add", "orchestrator.json")
        git(root, "commit", "-q", "-m", "plan")
        roots.append(root)
    monkeypatch.chdir(roots[0])
    fast, fast_refreshed = _run(roots[0], backend)
    real_mark = inputs.clock_mark
    monkeypatch.setattr(inputs, "clock_mark", lambda folder: None)  # no mark: every task asks git
    monkeypatch.chdir(roots[1])
    slow, slow_refreshed = _run(roots[1], backend)
    assert fast == slow
    assert "a/out.txt" in str(fast["adds"]) and "e/gone.txt" not in str(fast["removes"])
    # only the tasks that touched their paths (or name a glob) went back to git
    # ("after" reads a/ after "adds" wrote there)
    assert fast_refreshed == ["adds", "after", "edits", "globs", "removes", "touches"]
    assert slow_refreshed == sorted(t["id"] for t in TASKS)
    monkeypatch.setattr(inputs, "clock_mark", real_mark)
    for root in roots:  # what was recorded is what the next run (the real CLI) reads: all skipped
        again = orch("run", "--json", cwd=root)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["counts"] == {"skipped": len(TASKS)}
