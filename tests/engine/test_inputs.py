"""Inputs digests from git object ids, on real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.engine.inputs import compute_inputs, explain_change, match_paths, read_worktree, watch_entry
from tests.conftest import git, make_repo


def _task(tid: str, paths: list[str], deps: list[str] | None = None, cmd: str = "true") -> dict[str, object]:
    return {"id": tid, "paths": {"preferred": paths}, "commands": {"t": cmd}, "dependencies": deps or []}


def test_oids_match_git_for_tracked_modified_and_untracked(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n", "src/b.py": "b\n", "README.md": "x\n"})
    (root / "src/a.py").write_text("changed\n")
    (root / "src/new.py").write_text("new\n")
    (root / "README.md").unlink()
    tree = read_worktree(root)
    for name in ("src/a.py", "src/b.py", "src/new.py"):
        want = subprocess.run(["git", "hash-object", name], cwd=root, capture_output=True,
                              text=True).stdout.strip()
        assert tree.oids[name] == want
    assert "README.md" not in tree.oids
    assert tree.untracked == ["src/new.py"]


def test_digest_changes_with_one_input_file_and_dependents_follow(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"src/a.py": "a\n", "docs/x.md": "x\n"})
    tasks = [_task("A", ["src/"]), _task("B", ["docs/x.md"]), _task("C", ["docs/"], ["A"])]
    before = compute_inputs(tasks, read_worktree(root))
    (root / "src/a.py").write_text("edited\n")
    after = compute_inputs(tasks, read_worktree(root))
    assert before["A"].digest != after["A"].digest
    assert before["B"].digest == after["B"].digest
    assert before["C"].digest != after["C"].digest  # through its dependency
    reasons = explain_change(after["A"], watch_entry(before["A"], "r1", "abc1234def"), "abc1234def")
    assert reasons == ["src/a.py changed since the last pass at abc1234"]
    assert explain_change(after["C"], watch_entry(before["C"], "r1", ""), "") == ["dependency A changed"]


def test_command_change_is_named(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"a": "1"})
    tree = read_worktree(root)
    old = compute_inputs([_task("A", ["a"], cmd="make")], tree)["A"]
    new = compute_inputs([_task("A", ["a"], cmd="make all")], tree)["A"]
    assert explain_change(new, watch_entry(old, "r", ""), "") == ["command changed"]
    assert explain_change(new, None) == ["never passed"]


def test_task_without_paths_follows_the_tracked_tree_but_not_excluded_files(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r", {"a": "1", "orchestrator.yml": "x"})
    tasks = [_task("A", [])]
    d1 = compute_inputs(tasks, read_worktree(root), exclude=["orchestrator.yml"])["A"].digest
    (root / "orchestrator.yml").write_text("y")
    d2 = compute_inputs(tasks, read_worktree(root), exclude=["orchestrator.yml"])["A"].digest
    (root / "a").write_text("2")
    d3 = compute_inputs(tasks, read_worktree(root), exclude=["orchestrator.yml"])["A"].digest
    assert d1 == d2 != d3
    git(root, "add", "a")  # staged or not, the content is what counts
    assert compute_inputs(tasks, read_worktree(root), exclude=["orchestrator.yml"])["A"].digest == d3


_names = st.lists(st.from_regex(r"[a-c]{1,2}(/[a-c]{1,2}){0,2}", fullmatch=True), max_size=12, unique=True)


@settings(max_examples=60, deadline=None)
@given(files=_names, pattern=st.from_regex(r"[a-c]{1,2}(/[a-c]{1,2})?/?", fullmatch=True))
def test_match_paths_is_file_or_directory_prefix(files: list[str], pattern: str) -> None:
    files = sorted(files)
    got = match_paths(files, [pattern])
    base = pattern.rstrip("/")
    assert got == sorted(f for f in files if f == base or f.startswith(base + "/"))


def test_match_paths_globs() -> None:
    files = sorted(["src/a.py", "src/b.txt", "src/sub/c.py", "top.py"])
    assert match_paths(files, ["src/*.py"]) == ["src/a.py", "src/sub/c.py"]
    assert match_paths(files, ["*.py"]) == ["src/a.py", "src/sub/c.py", "top.py"]
    assert match_paths(files, ["."]) == files


def test_inputs_module_imports_with_the_standard_library_only() -> None:
    code = (
        "import sys, gitorch.engine.inputs as m\n"
        "bad = [n for n in ('msgspec', 'typer', 'pygit2', 'yaml') if n in sys.modules]\n"
        "assert not bad, bad\n"
    )
    # the package __init__ of gitorch.engine must stay light too
    proc = subprocess.run(["python", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_watch_tree_digest_is_the_one_the_git_hook_recomputes(tmp_path: Path) -> None:
    from gitorch.hooks.observe import head_files, tree_digest

    root = make_repo(tmp_path / "r", {"a": "1", "orchestrator.yml": "x", "d/b": "2"})
    tasks = [_task("A", [])]
    ti = compute_inputs(tasks, read_worktree(root), exclude=["orchestrator.yml"])["A"]
    entry = watch_entry(ti, "r", "c")
    assert entry["exclude"] == ["orchestrator.yml"]
    assert entry["tree"] == tree_digest(head_files(str(root), None), entry["exclude"])
