"""How `ws snapshot` starts (benchmark P5): its git processes get one clean environment made
once (git's per-repository variables dropped, gitorch's hooks off), and the entry point
runs it with the cyclic collector off, then leaves the collector as the caller had it."""

from __future__ import annotations

import gc
import json
import subprocess
from pathlib import Path

import pytest

from gitorch.workspace.gitstate import read_one, start_all


def _repo(path: Path, dirty: bool) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "a"], check=True)
    if dirty:
        (path / "a.txt").write_text("b\n")
    return path


def test_start_all_reads_each_repo_even_with_git_variables_set(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repos = [(f"r{i}", _repo(tmp_path / f"r{i}", dirty=i == 1)) for i in range(3)]
    other = _repo(tmp_path / "other", dirty=True)
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # as inside a hook: must not leak
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    states = start_all(repos)()
    assert [s.repo for s in states] == ["r0", "r1", "r2"]
    assert [s.dirty for s in states] == [False, True, False] and states[1].changed == ["a.txt"]
    assert all(s.branch == "main" and s.sha for s in states)
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert states == [read_one(name, path) for name, path in repos]  # the one-repo path agrees


@pytest.mark.parametrize("enabled", [True, False])
def test_snapshot_leaves_the_collector_as_it_found_it(enabled: bool, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from gitorch.cli.entry import main

    _repo(tmp_path / "r", dirty=False)
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(SystemExit) as done:
            main(["ws", "snapshot", "--root", str(tmp_path), "--json"])
        assert done.value.code == 0
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert [r["name"] for r in json.loads(capsys.readouterr().out)["repos"]] == ["r"]


def test_the_benchmarks_stdlib_floor_lists_what_the_snapshot_imports(tmp_path: Path) -> None:
    """tests/bench/p5_snapshot.py's floor "python + stdlib imports" imports exactly the standard
    library modules a real `git orch ws snapshot --json` process loads (console script included)."""
    import sys

    bench = Path(__file__).resolve().parents[1] / "bench" / "p5_snapshot.py"
    stdlib = _assignment(bench, "STDLIB")
    _repo(tmp_path / "r", dirty=True)
    probe = ("import sys, os\nbefore = set(sys.modules)\n"  # as pip >= 25.2's console script starts
             "from gitorch.cli.entry import main\nos.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
             "try: main(['ws', 'snapshot', '--root', sys.argv[1], '--json'])\nexcept SystemExit: pass\n"
             "print(sorted(m for m in set(sys.modules) - before if not m.startswith('gitorch')),\n"
             "      file=sys.stderr)")
    floor = ("import sys\nbefore = set(sys.modules)\n" + stdlib + "\n"
             "print(sorted(set(sys.modules) - before), file=sys.stderr)")
    got = [subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, check=True).stderr.splitlines()[-1] for code in (probe, floor)]
    assert got[0] == got[1]


def _assignment(path: Path, name: str) -> str:
    """The value of the module-level string `name` in the file at `path`, read with ast."""
    import ast

    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign):
            continue
        if name in [t.id for t in node.targets if isinstance(t, ast.Name)]:
            return str(ast.literal_eval(node.value))
    raise AssertionError(f"no {name} in {path}")


def test_git_starts_before_re_and_pathlib_load(tmp_path: Path) -> None:
    """`ws snapshot --root DIR` (no manifest) starts every repo's git status before `re` and
    pathlib are imported (~45 M instructions), so git works while they load: the entry point
    (as orch.pyz starts it: pip's console-script wrapper imports `re` first), workspace/prestart
    and repodirs load neither."""
    import sys

    for i in range(3):
        _repo(tmp_path / f"r{i}", dirty=i == 1)
    probe = ("import os, sys\nseen = []\n"
             "def spy(real):\n"
             "    def spawn(*a, **k):\n"
             "        seen.append([m for m in ('re', 'pathlib', 'enum') if m in sys.modules])\n"
             "        return real(*a, **k)\n"
             "    return spawn\n"
             "os.posix_spawn, os.posix_spawnp = spy(os.posix_spawn), spy(os.posix_spawnp)\n"
             "from gitorch.cli.entry import main\nos.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
             "try: main(['ws', 'snapshot', '--root', sys.argv[1], '--json'])\nexcept SystemExit: pass\n"
             "print(seen, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    seen = proc.stderr.splitlines()[-1]
    assert seen == repr([[], [], []]), proc.stderr


def test_git_dir_text_answers_as_git_dir(tmp_path: Path) -> None:
    """The snapshot's os.path reading of a work tree's git directory equals gitdir.git_dir's
    (Path) for a checkout, a linked worktree, a relative `gitdir:` file, no .git, a bad .git file."""
    import os

    from gitorch.workspace.gitdir import git_dir, git_dir_text, in_progress

    main = _repo(tmp_path / "main", dirty=False)
    subprocess.run(["git", "-C", str(main), "worktree", "add", "-q", str(tmp_path / "linked")], check=True)
    relative = tmp_path / "relative"
    relative.mkdir()
    (relative / ".git").write_text("gitdir: ../main/.git\n")
    (tmp_path / "plain").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / ".git").write_text("not a pointer\n")
    (main / ".git" / "MERGE_HEAD").write_text("0" * 40 + "\n")
    for name in ("main", "linked", "relative", "plain", "bad", "missing"):
        tree = tmp_path / name
        expected = git_dir(tree)
        got = git_dir_text(str(tree))
        assert (got is None) == (expected is None), name
        if expected is not None:
            assert got is not None and os.path.samefile(got, expected), name
            assert in_progress(got) == in_progress(expected), name
    assert in_progress(git_dir_text(str(main))) == "merge"


def test_the_snapshot_skips_overlays_only_where_none_can_be() -> None:
    """snapshot._read_files loads workspace/overlay only when a checkout's top holds `go.work`
    or `.cargo`: the first parts of overlay.OVERLAYS's files."""
    import inspect

    from gitorch.workspace import snapshot
    from gitorch.workspace.overlay import OVERLAYS

    assert {f.split("/")[0].lower() for f in OVERLAYS.values()} == {"go.work", ".cargo"}
    assert '"go.work" not in names and ".cargo" not in names' in inspect.getsource(snapshot._read_files)


def test_a_snapshot_without_errors_or_dependencies_loads_neither_errors_nor_graphlib(tmp_path: Path) -> None:
    """gitorch.errors loads only to raise one (workspace/manifest._error), graphlib only where a
    repo depends on another (snapshot.order_and_cycles): ~3.5 M instructions of a snapshot."""
    import sys

    for i in range(2):
        _repo(tmp_path / f"r{i}", dirty=False)
    probe = ("import sys, os\nfrom gitorch.cli.entry import main\n"
             "os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
             "try: main(['ws', 'snapshot', '--root', sys.argv[1], '--json'])\nexcept SystemExit: pass\n"
             "print(sorted(m for m in ('gitorch.errors', 'graphlib') if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert proc.stderr.splitlines()[-1] == "[]", proc.stderr
