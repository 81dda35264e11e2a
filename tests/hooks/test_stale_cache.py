"""The answer the hook keeps per HEAD commit (gitorch.hooks.stalecache) is the answer the slow
path gives, saves every git process on a second visit, is read back after a run that changed
nothing, and is not used once the document or HEAD's commit changed, nor where replace refs
could change what a commit id reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitorch.hooks import install as hi
from gitorch.hooks import observe as ho
from gitorch.hooks import stalecache
from gitorch.repo import find_repo
from tests.conftest import git
from tests.hooks.hookutil import (
    by_watch_json,
    count_git,
    journal_events,
    orch,
    orch_lines,
    run_git,
    write_watch,
)

REF = "refs/heads/orch/state"


def _kept(repo: Path) -> ho.Observation:
    return ho.observe(str(repo), branch="orch/state", trigger="t", common=str(repo / ".git"))


def _slow(repo: Path) -> ho.Observation:
    """Without the git dir: no kept index, no kept answer."""
    return ho.observe(str(repo), branch="orch/state", trigger="t")


def _same(got: ho.Observation, repo: Path) -> None:
    slow = _slow(repo)
    assert got.stale == slow.stale == by_watch_json(repo)
    assert got.awaiting == slow.awaiting and got.findings() == slow.findings()
    assert got.has_state and got.notices() == slow.notices()


def test_a_second_visit_starts_no_git_and_finds_the_same(
    ran: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = count_git(monkeypatch)
    for visit, rev in enumerate(["feature", "main", "feature", "main", "feature"]):
        git(ran, "checkout", "-q", rev)
        calls.clear()
        got = _kept(ran)
        started = list(calls)
        _same(got, ran)
        if rev == "feature":
            assert got.stale["src"] == ["src/a.py"]
            assert started == (["cat-file", "diff-tree"] if visit == 0 else [])
        else:
            assert got.stale == {} and started == []
    head = git(ran, "rev-parse", "HEAD")
    assert (ran / ".git" / "orch" / stalecache.FOLDER / head).is_file()


def test_a_new_commit_or_a_new_run_is_not_answered_from_before(
    ran: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    git(ran, "checkout", "-q", "feature")
    assert set(_kept(ran).stale) == {"src", "src-again", "whole"}
    (ran / "docs" / "index.md").write_text("# more docs\n")
    git(ran, "commit", "-q", "-am", "docs")  # HEAD's commit moved: another key
    got = _kept(ran)
    assert set(got.stale) == {"src", "src-again", "one-file", "whole"}
    _same(got, ran)
    git(ran, "commit", "-q", "--amend", "-m", "docs, amended")  # same tree, another commit
    _same(_kept(ran), ran)
    git(ran, "checkout", "-q", "main")
    assert _kept(ran).stale == {}
    (ran / "src" / "b.py").write_text("b = 2\n")
    git(ran, "commit", "-q", "-am", "b = 2")
    assert orch(ran, "run", "-j2").returncode == 0  # the index changed: every answer misses
    calls = count_git(monkeypatch)
    got = _kept(ran)
    # one-file passed at the commit before: its diff runs, nothing is read back
    assert got.stale == {} and calls == ["cat-file", "diff-tree"]
    git(ran, "checkout", "-q", "-")  # kept for the amended commit under the old state commit
    got = _kept(ran)
    assert got.stale["src"] == ["src/a.py", "src/b.py"] and "one-file" in got.stale
    _same(got, ran)


def test_gates_and_the_watch_json_path_come_back_alike(
    project: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = [{"run": "r-0042", "task": "ship", "gate": "deploy"}]
    write_watch(project, {"build": ["src"], "docs": ["docs"]}, awaiting=gate)  # no index
    git(project, "checkout", "-q", "feature")
    first = _kept(project)
    calls = count_git(monkeypatch)
    again = _kept(project)
    # without an index nothing names the document in the git dir: cat-file reads it (after
    # asking for the index), but the ls-tree is saved
    assert calls == ["cat-file", "cat-file"] and again.stale == first.stale == {"build": ["src/a.py"]}
    assert again.awaiting == first.awaiting == gate
    _same(again, project)


def test_a_replace_ref_turns_it_off(ran: Path) -> None:
    git(ran, "checkout", "-q", "feature")
    assert _kept(ran).stale["src"] == ["src/a.py"]
    git(ran, "replace", git(ran, "rev-parse", "feature"), git(ran, "rev-parse", "main"))
    assert not stalecache.usable(str(ran / ".git"))
    got = _kept(ran)  # git now reads main's tree for feature's commit: nothing changed
    assert got.stale == {} == _slow(ran).stale
    git(ran, "pack-refs", "--all")  # a replace ref in packed-refs counts too
    assert not stalecache.usable(str(ran / ".git"))
    git(ran, "replace", "-d", git(ran, "rev-parse", "feature"))
    assert stalecache.usable(str(ran / ".git"))


@pytest.mark.parametrize("damage", ["truncated", "another format", "not an object", "empty"])
def test_a_damaged_answer_is_found_again(ran: Path, damage: str) -> None:
    git(ran, "checkout", "-q", "feature")
    first = _kept(ran)
    path = ran / ".git" / "orch" / stalecache.FOLDER / git(ran, "rev-parse", "HEAD")
    data = path.read_bytes()
    head, _, body = data.partition(b"\n")
    path.write_bytes({"truncated": data[:-9], "another format": b"gitorch-hook-stale 0" + data[20:],
                      "not an object": head + b'\n["stale", {}]', "empty": b""}[damage])
    doc = git(ran, "rev-parse", f"{REF}:watch-index.json")
    assert stalecache.load(str(ran / ".git"), doc, path.name) is None
    got = _kept(ran)
    assert got.stale == first.stale and got.findings() == first.findings()
    assert path.read_bytes() == head + b"\n" + body  # written again


def test_at_most_max_kept_answers_stay(ran: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stalecache, "MAX_KEPT", 2)
    heads = []
    for i in range(4):
        (ran / "src" / "a.py").write_text(f"a = {i + 10}\n")
        git(ran, "commit", "-q", "-am", f"a {i}")
        heads.append(git(ran, "rev-parse", "HEAD"))
        _kept(ran)
        os.utime(ran / ".git" / "orch" / stalecache.FOLDER / heads[-1], ns=(i * 10**9, i * 10**9))
    assert sorted(os.listdir(ran / ".git" / "orch" / stalecache.FOLDER)) == sorted(heads[2:])


def test_the_hook_records_the_same_observation_from_it(ran: Path) -> None:
    hi.install(find_repo(ran))
    said = [orch_lines(run_git(ran, "checkout", rev)) for rev in ["feature", "main", "feature"]]
    assert said[0] == said[2] and said[0][0].startswith("orch: 3 tasks are stale")
    events = [e for e in journal_events(ran) if e["type"] == "observed"]
    assert len(events) == 3
    assert (events[0]["findings"], events[0]["drift"]) == (events[2]["findings"], events[2]["drift"])
    assert "task src: src/a.py changed" in events[2]["findings"]


def test_a_run_that_changes_nothing_keeps_the_answers(
    ran: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    git(ran, "checkout", "-q", "feature")
    first = _kept(ran)
    git(ran, "checkout", "-q", "main")
    before = git(ran, "rev-parse", f"{REF}:watch-index.json")
    assert orch(ran, "run", "-j2").returncode == 0  # nothing to do: the state branch moves
    assert git(ran, "rev-parse", f"{REF}:watch-index.json") == before
    git(ran, "checkout", "-q", "feature")
    calls = count_git(monkeypatch)
    again = _kept(ran)
    assert calls == ["cat-file"]  # the new state commit's index: the same document
    assert again.stale == first.stale and again.findings() == first.findings()
    calls.clear()
    assert _kept(ran).stale == first.stale and calls == []  # and now it is kept again
