"""Folders asked for at once (Backend.prefetch_trees) under any name: git cat-file answers a
missing `<tree>:<folder>` with the request and " missing", so a folder name with spaces (one
space made the answer three words, read as `<oid> <type> <size>`: a ValueError, exit 70) or
one ending in " missing" itself is a missing folder, and the answers after it stay in step.
Both backends, directly and through the real CLI (a second `git orch migrate`, whose copies
go to legacy/<migration>/<original path>)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch.store.backend import Backend
from tests.conftest import OrchRunner, git

PRESENT = ("plain", "my notes", "a b c d", "x missing", "7 missing", "ends ")
ABSENT = ("no such", "my notes/x.txt y", "a b c", "x missing missing", "1 2", "plain/one two", " missing")


def _ls(repo: Path, spec: str) -> dict[str, str]:
    out = git(repo, "ls-tree", "-z", spec).strip("\0")
    return {line.split("\t", 1)[1]: line.split()[2] for line in out.split("\0")}


def test_folders_with_spaces_and_missing_ones_are_read_right(be: Backend, repo: Path) -> None:
    for name in PRESENT:
        (repo / name).mkdir()
        (repo / name / "x.txt").write_text(f"{name}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "folders")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    # missing ones between present ones: each answer is read as the answer to its own question
    asked = [p for pair in zip(ABSENT, PRESENT, strict=False) for p in pair]
    be.prefetch_trees(tree, asked)
    top = {e.name: e.oid for e in be.read_tree(tree)}
    assert top == _ls(repo, tree)
    for name in PRESENT:
        assert {e.name: e.oid for e in be.read_tree(top[name])} == _ls(repo, f"{tree}:{name}"), name
    for name in ABSENT:
        assert "/" in name or be.tree_entry(tree, name) is None, name
    be.prefetch_trees(tree, ["no such", "my notes"])  # once more, the pipe still in step
    assert be.read_blob(_ls(repo, f"{tree}:my notes")["x.txt"]) == b"my notes\n"


@pytest.mark.parametrize("folder", ["my notes", "a b c", "done missing"])
def test_a_second_migrate_copies_a_folder_with_spaces(
    repo: Path, backend: str, orch: OrchRunner, folder: str
) -> None:
    (repo / "orchestrator.json").write_text(
        json.dumps({"version": 1, "tasks": [{"id": "a", "commands": {"t": "true"}}]}))
    git(repo, "add", "orchestrator.json")
    git(repo, "commit", "-q", "-m", "plan")
    assert orch("run", cwd=repo).returncode == 0
    legacy = repo / ".orchestrator"
    legacy.mkdir()
    (legacy / "first.txt").write_text("hi\n")
    first = orch("migrate", cwd=repo)
    assert first.returncode == 0, first.stderr
    (legacy / folder).mkdir()
    (legacy / folder / "x.txt").write_text("there\n")
    second = orch("migrate", "--prefer", "legacy", cwd=repo)
    assert second.returncode == 0, second.stderr  # was 70 (internal error) on the CLI backend
    tip = "refs/heads/orch/state"
    copied = git(repo, "ls-tree", "-r", "--name-only", tip, "--", "legacy/").splitlines()
    assert any(path.endswith(f"/{folder}/x.txt") for path in copied), copied
