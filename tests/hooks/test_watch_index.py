"""The watch index (gitorch.hooks.watchindex) tells the hook what watch.json would, from a
small blob: built by a real `git orch run`, compared with the watch.json path on real edits."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from gitorch.hooks import observe as ho
from gitorch.hooks.watchindex import INDEX_FILE, build_index, stale_from_index
from tests.conftest import git
from tests.hooks.hookutil import PLAN, by_watch_json, count_git, orch, state_doc


def test_a_run_writes_a_small_index_with_one_entry_per_shared_folder(ran: Path) -> None:
    index = state_doc(ran, INDEX_FILE)
    assert index is not None and index["schema_version"] == 2
    paths = [u[0] for u in index["units"]]
    assert sorted(paths) == ["", "docs/index.md", "missing.txt", "src"]  # src once for two tasks
    assert index["commit_trees"] == [git(ran, "rev-parse", "HEAD^{tree}")]
    assert index["tasks"]["src"] == index["tasks"]["src-again"]
    assert stale_from_index(index, str(ran)) == {}


def _edit(repo: Path, step: int) -> None:
    if step == 0:
        (repo / "src" / "a.py").write_text("a = 3\n")  # a change
    elif step == 1:
        (repo / "src" / "new.py").write_text("n = 1\n")  # an addition
    elif step == 2:
        os.unlink(repo / "src" / "b.py")  # a removal
    elif step == 3:
        (repo / "missing.txt").write_text("now here\n")  # a path that was missing appears
    elif step == 4:
        os.chmod(repo / "docs" / "index.md", 0o755)  # mode only: not an input change
    elif step == 5:
        (repo / "orchestrator.json").write_text(json.dumps(PLAN, indent=1))  # the plan only


@pytest.mark.parametrize("step", range(6))
def test_the_index_and_watch_json_agree_after_a_commit(ran: Path, step: int) -> None:
    _edit(ran, step)
    git(ran, "add", "-A")
    git(ran, "commit", "-q", "-m", f"edit {step}")
    index = state_doc(ran, INDEX_FILE)
    assert stale_from_index(index, str(ran)) == by_watch_json(ran)
    obs = ho.observe(str(ran), branch="orch/state", trigger="t")
    assert obs.stale == by_watch_json(ran)


def test_and_after_switching_to_another_branch(ran: Path) -> None:
    git(ran, "checkout", "-q", "feature")  # no plan there, src/a.py changed, the plan gone
    index = state_doc(ran, INDEX_FILE)
    got = stale_from_index(index, str(ran))
    assert got == by_watch_json(ran)
    assert got is not None and got["src"] == ["src/a.py"] and "whole" in got


def test_a_pass_on_uncommitted_content_leaves_no_index(project: Path) -> None:
    (project / "orchestrator.json").write_text(json.dumps(PLAN))
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "plan")
    (project / "src" / "a.py").write_text("a = 'not committed'\n")
    assert orch(project, "run", "-j2").returncode == 0
    assert state_doc(project, INDEX_FILE) is None  # the hook reads watch.json instead
    obs = ho.observe(str(project), branch="orch/state", trigger="t")
    assert obs.stale == by_watch_json(project) and obs.stale["src"] == ["src/a.py"]


def test_globs_are_not_indexed(project: Path) -> None:
    watch = {"tasks": {"g": {"paths": ["src/*.py"], "oids": {}, "commit": git(project, "rev-parse", "HEAD")}}}
    assert build_index(watch, str(project)) is None


def test_a_commit_that_is_gone_falls_back_to_watch_json(ran: Path) -> None:
    index = state_doc(ran, INDEX_FILE)
    index["commits"] = ["0" * 40]
    index["commit_trees"] = ["f" * 40]
    assert stale_from_index(index, str(ran)) is None


def test_the_kept_index_saves_cat_file_until_the_state_branch_moves(
    ran: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    common, root = str(ran / ".git"), str(ran)
    calls = count_git(monkeypatch)
    git(ran, "checkout", "-q", "feature")
    first = ho.observe(root, branch="orch/state", trigger="t", common=common)
    assert calls == ["cat-file", "diff-tree"] and (ran / ".git" / "orch" / "hook-index").is_file()
    calls.clear()
    shutil.rmtree(ran / ".git" / "orch" / "hook-stale")  # the answer kept for HEAD (stalecache)
    again = ho.observe(root, branch="orch/state", trigger="t", common=common)
    assert calls == ["diff-tree"] and again.stale == first.stale == by_watch_json(ran)
    git(ran, "pack-refs", "--all")  # the branch and HEAD read from packed-refs alike
    git(ran, "checkout", "-q", "main")  # back at the commit the tasks passed at: no git at all
    shutil.rmtree(ran / ".git" / "orch" / "hook-stale")
    calls.clear()
    assert ho.observe(root, branch="orch/state", trigger="t", common=common).stale == {}
    assert calls == []
    # A new run moves the state branch: the kept index is for the old commit, so it is read again.
    (ran / "src" / "a.py").write_text("a = 3\n")
    git(ran, "commit", "-q", "-am", "a = 3")
    assert orch(ran, "run", "-j2").returncode == 0
    calls.clear()
    assert ho.observe(root, branch="orch/state", trigger="t", common=common).stale == {}
    assert calls[0] == "cat-file"


def test_a_broken_kept_index_is_read_again(ran: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitorch.hooks import indexcache

    common = str(ran / ".git")
    oid = git(ran, "rev-parse", "orch/state")
    indexcache.save(common, "refs/heads/orch/state", oid, b"{not json")
    assert indexcache.load(common, "refs/heads/orch/state", oid) is None
    calls = count_git(monkeypatch)
    git(ran, "checkout", "-q", "feature")
    assert ho.observe(str(ran), branch="orch/state", trigger="t", common=common).stale == by_watch_json(ran)
    assert calls[0] == "cat-file"
    assert indexcache.load(common, "refs/heads/orch/state", oid) is not None


def test_tasks_that_passed_at_two_commits_are_diffed_side_by_side(
    ran: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (ran / "src" / "b.py").write_text("b = 2\n")
    git(ran, "commit", "-q", "-am", "b = 2")
    assert orch(ran, "run", "-j2").returncode == 0  # one-file is up to date: it keeps its commit
    index = state_doc(ran, INDEX_FILE)
    assert len(index["commits"]) == 2
    git(ran, "checkout", "-q", "feature")
    calls = count_git(monkeypatch)
    got = stale_from_index(index, str(ran), head_commit=git(ran, "rev-parse", "HEAD"))
    assert calls == ["diff-tree", "diff-tree"] and got == by_watch_json(ran)
    assert got is not None and got["src"] == ["src/a.py", "src/b.py"]
    calls.clear()  # and a commit that is gone still means "ask watch.json"
    assert stale_from_index({**index, "commits": [index["commits"][0], "0" * 40]}, str(ran),
                            head_commit=git(ran, "rev-parse", "HEAD")) is None
    assert calls == ["diff-tree", "diff-tree"]
