"""The `git diff-tree` hook.sh starts beside the interpreter (from the commit on the kept
index's first line to the new HEAD) is used for exactly those two commits, only when git
succeeded, and gives the observation the hook finds on its own."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gitorch.hooks import indexcache
from gitorch.hooks import install as hi
from gitorch.hooks import observe as ho
from gitorch.hooks import watchindex as wi
from gitorch.repo import find_repo
from tests.conftest import git
from tests.hooks.hookutil import by_watch_json, count_git, journal_events, orch_lines, run_git, state_doc


def _pipe(data: bytes) -> int:
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    return r


def _diff_output(repo: Path, a: str, b: str) -> bytes:
    import subprocess

    return subprocess.run(["git", "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--no-renames", a, b],
                          cwd=repo, capture_output=True, check=True).stdout


@pytest.mark.parametrize("case", ["used", "no mark", "other commits", "torn"])
def test_the_piped_diff_is_taken_only_when_it_is_whole_and_for_these_commits(
    ran: Path, case: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    git(ran, "checkout", "-q", "feature")
    passed, head = git(ran, "rev-parse", "main"), git(ran, "rev-parse", "HEAD")
    out = _diff_output(ran, passed, head)
    data = {"used": out + wi.DIFF_OK, "no mark": out, "other commits": out + wi.DIFF_OK,
            "torn": out[:-3] + wi.DIFF_OK}[case]
    key = f"{passed} {passed if case == 'other commits' else head}"
    fd = _pipe(data)
    wi.prestarted(key, fd)
    calls = count_git(monkeypatch)
    got = wi.stale_from_index(state_doc(ran, wi.INDEX_FILE), str(ran), head_commit=head)
    assert calls == ([] if case == "used" else ["diff-tree"])
    assert got == by_watch_json(ran) and got is not None and got["src"] == ["src/a.py"]
    wi._prestarted.clear()
    os.close(fd)


def test_the_hook_pipes_the_diff_on_a_first_visit_and_finds_the_same(
    ran: Path, tmp_path: Path,
) -> None:
    hi.install(find_repo(ran))
    trace = tmp_path / "trace"
    env = {"GIT_TRACE": str(trace)}
    first = orch_lines(run_git(ran, "checkout", "feature", env=env))  # no kept index yet
    common = str(ran / ".git")
    line = (ran / ".git" / "orch" / indexcache.CACHE_FILE).read_bytes().split(b"\n", 1)[0].split()
    assert line == [git(ran, "rev-parse", "orch/state").encode(), b"refs/heads/orch/state",
                    git(ran, "rev-parse", "main").encode(),
                    git(ran, "rev-parse", "orch/state:watch-index.json").encode()]
    assert indexcache.load(common, "refs/heads/orch/state", line[0].decode()) is not None
    run_git(ran, "checkout", "-q", "main")
    shutil.rmtree(ran / ".git" / "orch" / "hook-stale")  # a first visit, with the index kept
    trace.unlink()
    again = orch_lines(run_git(ran, "checkout", "feature", env=env))
    assert again == first and again[0].startswith("orch: 3 tasks are stale")
    diffs = [ln for ln in trace.read_text().splitlines() if "built-in: git diff-tree" in ln]
    assert len(diffs) == 1  # hook.sh's; Python took its output and started none
    events = [e for e in journal_events(ran) if e["type"] == "observed"]
    assert events[-1]["findings"] == events[0]["findings"]
    assert "task src: src/a.py changed" in events[-1]["findings"]
    trace.unlink()
    run_git(ran, "checkout", "-q", "main")
    orch_lines(run_git(ran, "checkout", "feature", env=env))  # the answer is kept: no git
    assert "diff-tree" not in trace.read_text()


def test_a_kept_index_without_one_commit_starts_nothing(ran: Path) -> None:
    common, ref = str(ran / ".git"), "refs/heads/orch/state"
    oid = git(ran, "rev-parse", "orch/state")
    indexcache.save(common, ref, oid, b"{}", None)
    assert (ran / ".git" / "orch" / "hook-index").read_bytes() == f"{oid} {ref} - -\n{{}}".encode()
    indexcache.save(common, ref, oid, b"{}", "not a commit", "nor a blob")
    assert (ran / ".git" / "orch" / "hook-index").read_bytes() == f"{oid} {ref} - -\n{{}}".encode()
    assert indexcache.header(common, ref, oid) == ("", b"{}")
    assert ho.observe(str(ran), branch="orch/state", trigger="t", common=common).stale == {}
