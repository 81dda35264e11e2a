"""The plan cache: used only while nothing the plan was made from has changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch.errors import PlanError
from gitorch.plan import cache, graph
from gitorch.plan.load import load_plan
from gitorch.repo import find_repo
from tests.plan.helpers import write


def _slots(repo: Path) -> list[Path]:
    return sorted((find_repo(repo).scratch / "plan-cache").glob("*.msgpack"))


def test_valid_plan_is_cached_in_the_git_dir_and_reused(repo: Path) -> None:
    write(repo, "orchestrator.yml", "include: ['tasks/*.yml']\ntasks: [{id: A}]\n")
    write(repo, "tasks/b.yml", "- {id: B, dependencies: [A]}\n")
    first = load_plan()
    (slot,) = _slots(repo)
    assert slot.is_relative_to(repo / ".git")
    entry = cache.lookup(find_repo(repo).scratch, first.file, first.file.read_bytes())
    assert entry is not None and entry.digest == first.digest
    again = load_plan()
    assert again.plan == first.plan and again.digest == first.digest
    assert (again.files, again.root) == (first.files, first.root)
    assert [f.name for f in again.files] == ["orchestrator.yml", "b.yml"]
    assert graph.order(again.plan) == [["A"], ["B"]]  # remembered from the cache entry


@pytest.mark.parametrize("change", ["main", "include", "new glob match", "removed glob match"])
def test_any_input_change_misses(repo: Path, change: str) -> None:
    write(repo, "orchestrator.yml", "include: ['tasks/*.yml']\ntasks: [{id: A}]\n")
    write(repo, "tasks/b.yml", "- {id: B}\n")
    write(repo, "tasks/c.yml", "- {id: C}\n")
    load_plan()
    if change == "main":
        write(repo, "orchestrator.yml", "include: ['tasks/*.yml']\ntasks: [{id: A2}]\n")
        expected = ["A2", "B", "C"]
    elif change == "include":
        write(repo, "tasks/b.yml", "- {id: B2}\n")
        expected = ["A", "B2", "C"]
    elif change == "new glob match":
        write(repo, "tasks/d.yml", "- {id: D}\n")
        expected = ["A", "B", "C", "D"]
    else:
        (repo / "tasks" / "c.yml").unlink()
        expected = ["A", "B"]
    assert [t.id for t in load_plan().plan.tasks] == expected


def test_a_broken_include_is_reported_even_after_a_cached_success(repo: Path) -> None:
    write(repo, "orchestrator.yml", "include: [more.yml]\ntasks: [{id: A}]\n")
    write(repo, "more.yml", "- {id: B}\n")
    load_plan()
    write(repo, "more.yml", "- {id: B, dependencies: [Z]}\n")
    with pytest.raises(PlanError, match="unknown dependency 'Z'"):
        load_plan()


def test_cache_can_be_switched_off(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITORCH_PLAN_CACHE", "0")
    write(repo, "orchestrator.yml", "tasks: [{id: A}]\n")
    load_plan()
    assert _slots(repo) == []


def test_unreadable_cache_is_ignored(repo: Path) -> None:
    write(repo, "orchestrator.yml", "tasks: [{id: A}]\n")
    load_plan()
    (slot,) = _slots(repo)
    slot.write_bytes(b"\x00garbage")
    assert load_plan().plan.tasks[0].id == "A"


def test_an_entry_with_a_zeroed_page_is_a_miss(repo: Path) -> None:
    """Written without fsync: a power cut may keep the file but not every page of it. Zeros
    inside a long command still decode, so only the checksum tells the entry is damaged."""
    long = "echo " + "x" * 12000
    write(repo, "orchestrator.yml", f"tasks:\n  - id: A\n    commands: {{t: '{long}'}}\n")
    first = load_plan()
    (slot,) = _slots(repo)
    raw = bytearray(slot.read_bytes())
    assert raw.find(b"x" * 8192) < 4096 and len(raw) > 8192  # the page lies inside the command
    raw[4096:8192] = bytes(4096)
    slot.write_bytes(bytes(raw))
    assert cache.lookup(find_repo(repo).scratch, first.file, first.file.read_bytes()) is None
    again = load_plan()
    assert again.plan.tasks[0].commands == {"t": long}
    assert b"\x00" * 64 not in slot.read_bytes()  # the miss wrote the entry again


def test_workspace_manifest_changes_miss_for_plans_with_repo_tasks(repo: Path) -> None:
    """`repo:` names are checked against workspace.toml: its appearing, changing or going
    away is a change of what the plan means, so a cached answer is not reused."""
    write(repo, "orchestrator.yml", "tasks: [{id: A, repo: lib}]\n")
    load_plan()  # no manifest: not checked, cached
    write(repo, "workspace.toml", '[[repos]]\nname = "app"\n')
    with pytest.raises(PlanError, match="unknown workspace repo 'lib'"):
        load_plan()
    write(repo, "workspace.toml", '[[repos]]\nname = "lib"\n')
    assert load_plan().plan.tasks[0].repo == "lib"
    write(repo, "workspace.toml", '[[repos]]\nname = "other"\n')
    with pytest.raises(PlanError, match="unknown workspace repo 'lib'"):
        load_plan()
    (repo / "workspace.toml").unlink()
    assert load_plan().plan.tasks[0].repo == "lib"


def test_a_hit_compares_the_main_files_bytes_and_an_entry_without_them_its_hash(repo: Path) -> None:
    """The entry keeps the main file's bytes: a hit compares them (no hashing); an edit of the
    same size is a miss; an entry written without them (before) is checked by the file's hash."""
    import msgspec

    write(repo, "orchestrator.yml", "tasks: [{id: A}]\n")
    first = load_plan()
    scratch, main = find_repo(repo).scratch, first.file
    entry = cache.lookup(scratch, main, main.read_bytes())
    assert entry is not None and entry.main == main.read_bytes()
    assert cache.lookup(scratch, main, b"tasks: [{id: B}]\n") is None  # the same size, other bytes
    cache.store(scratch, main, msgspec.structs.replace(entry, main=b""))  # as an older gitorch wrote it
    assert cache.lookup(scratch, main, main.read_bytes()) is not None
    assert cache.lookup(scratch, main, b"tasks: [{id: B}]\n") is None
    write(repo, "orchestrator.yml", "tasks: [{id: B}]\n")
    assert [t.id for t in load_plan().plan.tasks] == ["B"]
