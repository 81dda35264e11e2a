"""The format marker says what a reader must know: schema 1 until the branch holds a
`tasks_skipped` event, then 2, raised by the commit that writes the first one and by a merge
with a branch that has it, so a gitorch older than the event refuses the branch (exit 5)
instead of reading those runs' tasks as pending."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from gitorch import events as ev
from gitorch.errors import StateConflict
from gitorch.repo import find_repo
from gitorch.store import layout
from gitorch.store.state import StateStore
from gitorch.store.statebranch import StateBranch
from gitorch.store.sync import sync
from tests.conftest import fsck, git, make_repo

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends


def open_store(path: Path) -> StateStore:
    from gitorch import config

    config._cache.clear()
    return config.open_store(find_repo(path))


def marker(path: Path) -> dict[str, object]:
    return dict(json.loads(git(path, "show", f"orch/state:{layout.MARKER}")))


def compact(run: str) -> ev.TasksSkipped:
    return ev.TasksSkipped(run=run, reason="unchanged since the last pass in run r0", tasks=["a", "b"])


def test_the_first_tasks_skipped_raises_the_marker_in_its_commit(repo: Path) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r1"), ev.Skipped(run="r1", task="a", reason="x")])
        first = marker(repo)
        assert first["schema_version"] == layout.SCHEMA_VERSION == 1
        store.append([ev.RunStarted(run="r2"), compact("r2")])
        raised = marker(repo)
        assert raised["schema_version"] == layout.COMPACT_SKIPS_SCHEMA == 2
        assert raised["created"] == first["created"]  # the branch's birth is kept
        changed = git(repo, "diff-tree", "--name-only", "-r", "orch/state~1", "orch/state")
        assert layout.MARKER in changed.split()
        store.append([ev.RunStarted(run="r3")])
        assert marker(repo)["schema_version"] == 2  # never lowered
        skipped = [e.task or "" for e in store.events() if isinstance(e, ev.Skipped) and e.run == "r2"]
        assert sorted(skipped) == ["a", "b"]


def test_a_new_branch_begun_by_a_compact_run_says_2(repo: Path) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r1"), compact("r1")])
    assert marker(repo)["schema_version"] == 2


def test_a_gitorch_knowing_only_schema_1_refuses_it(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r1"), compact("r1")])
        tree = store.backend.read_commit(store.tip() or "").tree
        monkeypatch.setattr(layout, "READS_SCHEMA", 1)  # what the gitorch before tasks_skipped knew
        with pytest.raises(StateConflict, match="newer gitorch") as refused:
            StateBranch(store.backend, store.ref, store.repo.common_dir).check_marker(tree)
        assert refused.value.exit_code == 5


def test_a_merge_with_a_raised_branch_says_2(tmp_path: Path, bare_remote: Path) -> None:
    one = make_repo(tmp_path / "one")
    git(one, "remote", "add", "origin", str(bare_remote))
    git(one, "push", "-q", "origin", "main")
    git(tmp_path, "clone", "-q", str(bare_remote), str(tmp_path / "two"))
    two = tmp_path / "two"
    with open_store(one) as s1, open_store(two) as s2:
        s1.append([ev.RunStarted(run="r1"), compact("r1")])
        s2.append([ev.RunStarted(run="r2")])
        assert sync(s1).pushed
        assert marker(two)["schema_version"] == 1
        assert sync(s2).merge.state == "merged"
    assert marker(two)["schema_version"] == 2
    assert msgspec.json.decode(git(two, "show", f"orch/state:{layout.MARKER}")).get("format") == layout.FORMAT
    fsck(two, "--strict")
