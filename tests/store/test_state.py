"""StateStore on real repositories, both backends: append, read back, journal, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.errors import StateConflict, UsageError
from gitorch.repo import find_repo
from gitorch.store import layout
from gitorch.store.state import StateStore
from tests.conftest import fsck, git, make_repo


def open_store(path: Path) -> StateStore:
    from gitorch import config

    config._cache.clear()
    return config.open_store(find_repo(path))


def test_append_leaves_work_tree_index_and_head_alone(repo: Path, backend: str) -> None:
    (repo / "dirty.txt").write_text("untracked\n")
    git(repo, "add", "dirty.txt")
    head, index = git(repo, "rev-parse", "HEAD"), (repo / ".git" / "index").read_bytes()
    status = git(repo, "status", "--porcelain")
    with open_store(repo) as store:
        assert store.backend_name == backend
        tip = store.append([ev.TaskStarted(run="r", task="a")], files={"logs/r/a/build.log": b"ok\n"})
        assert store.tip() == tip
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "rev-parse", "HEAD") == head
    assert (repo / ".git" / "index").read_bytes() == index
    assert git(repo, "symbolic-ref", "HEAD") == "refs/heads/main"
    # An orphan: no history in common with main.
    proc = os.system(f"git -C {repo} merge-base main orch/state >/dev/null 2>&1")
    assert proc != 0
    assert git(repo, "rev-list", "--count", "orch/state") == "1"
    fsck(repo, "--strict")


def test_events_read_back_ordered_deduplicated_and_filtered(repo: Path, backend: str) -> None:
    a = ev.RunStarted(run="r1", ts="2026-01-01T00:00:02.000Z")
    b = ev.TaskStarted(run="r1", task="t", ts="2026-01-01T00:00:01.000Z")
    c = ev.TaskStarted(run="r2", task="t", ts="2026-01-01T00:00:03.000Z")
    with open_store(repo) as store:
        store.append([a, b])
        store.append([c, a])  # `a` again: stored twice, read once
        got = store.events()
        assert [e.id for e in got] == [b.id, a.id, c.id]
        assert got[1] == a
        assert [e.id for e in store.events(run="r1")] == [b.id, a.id]
        assert [e.id for e in store.events(types=["run_started"])] == [a.id]
        assert store.problems == []


def test_records_read_list_and_delete(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        assert store.read("plans/x.json") is None and store.list("plans") == []
        store.append([], files={"plans/x.json": b"{}", "plans/y.json": b"[]", "TASKS.md": b"# t\n"})
        assert store.read("plans/x.json") == b"{}"
        assert store.list("plans") == ["x.json", "y.json"]
        assert {"README.md", layout.MARKER, "plans", "TASKS.md"} <= set(store.list(""))
        store.append([], files={"plans/x.json": None})
        assert store.list("plans") == ["y.json"]
        with pytest.raises(UsageError):
            store.append([], files={"../escape": b""})
        with pytest.raises(UsageError):
            store.append([], files={layout.MARKER: b"{}"})


def test_run_summary_and_readme(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="run-1", plan_file="plan.yaml")])
        store.append([ev.Completed(run="run-1", status="failed", failures=["build"])])
        summary = store.read("runs/run-1.json")
        assert summary is not None and b'"status":"failed"' in summary
        readme = store.read("README.md")
        assert readme is not None and b"`run-1`" in readme and b"failed" in readme


def test_init_is_idempotent_and_creates_an_orphan(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        assert not store.exists()
        assert store.init() is True
        tip = store.tip()
        assert store.init() is False and store.tip() == tip
        assert store.events() == []


def test_journal_then_flush_folds_into_one_commit(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r")])
        before = git(repo, "rev-list", "--count", "orch/state")
        store.journal([ev.TaskStarted(run="r", task="a")])
        store.journal([ev.TaskCompleted(run="r", task="a")])
        # Visible before the flush, and not on the branch yet.
        assert [type(e).__name__ for e in store.events()] == ["RunStarted", "TaskStarted", "TaskCompleted"]
        assert git(repo, "rev-list", "--count", "orch/state") == before
        store.flush(files={"TASKS.md": b"# tasks\n"})
        assert int(git(repo, "rev-list", "--count", "orch/state")) == int(before) + 1
        assert not list((store.scratch() / "journal").glob("*"))
        assert len(store.events()) == 3
        assert store.read("TASKS.md") == b"# tasks\n"
        tip = store.tip()
        assert store.flush() == tip  # nothing pending: no new commit


def test_flush_after_a_crash_between_commit_and_cleanup_adds_nothing(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.journal([ev.TaskStarted(run="r", task=f"t{i}") for i in range(3)])
        store._journal.rotate()
        pending = store._journal.pending()
        saved = {p.path: p.path.read_bytes() for p in pending}
        store.flush()
        tip = store.tip()
        for path, data in saved.items():  # the files a crash would have left
            path.write_bytes(data)
        assert store.flush() == tip
        assert len(store.events()) == 3


def test_flush_collects_journals_of_other_sessions(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        other = ev.TaskStarted(run="r", task="x", session="s-dead")
        store._journal.append([other], "s-dead")
        store.journal([ev.TaskStarted(run="r", task="y")])
        store.flush()
        assert {e.session for e in store.events()} == {"s-dead", store.session}
        assert "s-dead" in git(repo, "ls-tree", "-r", "--name-only", "orch/state")


def test_torn_journal_line_is_reported_not_fatal(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.journal([ev.TaskStarted(run="r", task="a")])
        path = store._journal.path_for(store.session)
        with open(path, "ab") as fh:
            fh.write(b'{"type":"task_st')
        assert len(store.events()) == 1
        assert store.problems and "unreadable journal line" in store.problems[0]


def test_repo_without_commits(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "empty"
    git(tmp_path, "init", "-q", "-b", "main", str(path))
    with open_store(path) as store:
        store.append([ev.TaskStarted(task="a")])
        assert len(store.events()) == 1
    assert git(path, "status", "--porcelain") == ""
    proc = os.system(f"git -C {path} rev-parse -q --verify HEAD >/dev/null")
    assert proc != 0  # main is still unborn


def test_bare_repo(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    with open_store(path) as store:
        store.append([ev.TaskStarted(task="a")], files={"x.txt": b"x"})
        assert store.read("x.txt") == b"x" and len(store.events()) == 1
    fsck(path)


def test_detached_head(repo: Path, backend: str) -> None:
    git(repo, "checkout", "-q", "--detach")
    head = git(repo, "rev-parse", "HEAD")
    with open_store(repo) as store:
        store.append([ev.TaskStarted(task="a")])
    assert git(repo, "rev-parse", "HEAD") == head
    assert os.system(f"git -C {repo} symbolic-ref -q HEAD >/dev/null") != 0


def test_linked_worktree_shares_state(repo: Path, backend: str, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "wt")
    with open_store(tmp_path / "wt") as store:
        store.append([ev.TaskStarted(task="from-worktree")])
    with open_store(repo) as store:
        assert [e.task for e in store.events()] == ["from-worktree"]
    assert git(tmp_path / "wt", "status", "--porcelain") == ""


def _replace_on_branch(repo: Path, path: str, data: bytes) -> None:
    """Commit a hand edit to the state branch with plain git (a temporary index)."""
    env = dict(os.environ, GIT_INDEX_FILE=str(repo / ".git" / "tmp-index"))
    import subprocess

    def run(*args: str, input: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo, env=env, input=input, check=True,
                              capture_output=True).stdout.decode().strip()

    run("read-tree", "orch/state")
    blob = run("hash-object", "-w", "--stdin", input=data)
    run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = run("write-tree")
    commit = run("commit-tree", tree, "-p", "orch/state", "-m", "hand edit")
    run("update-ref", "refs/heads/orch/state", commit)


def test_newer_schema_is_refused_and_never_rewritten(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.TaskStarted(task="a")])
    _replace_on_branch(repo, layout.MARKER, b'{"format":"gitorch-state","schema_version":99}\n')
    tip = git(repo, "rev-parse", "orch/state")
    with open_store(repo) as store:
        with pytest.raises(StateConflict) as err:
            store.append([ev.TaskStarted(task="b")])
        assert err.value.exit_code == 5 and "newer gitorch" in err.value.message
        with pytest.raises(StateConflict):
            store.events()
    assert git(repo, "rev-parse", "orch/state") == tip


def test_hand_edited_nonsense_is_reported_and_the_rest_stays_readable(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.TaskStarted(task="good")])
        path = git(repo, "ls-tree", "-r", "--name-only", "orch/state", "sessions").splitlines()[0]
    _replace_on_branch(repo, path.rsplit("/", 1)[0] + "/zz-broken.jsonl", b"this is {not json\n")
    _replace_on_branch(repo, "sessions/notes.txt", b"hello")
    with open_store(repo) as store:
        assert [e.task for e in store.events()] == ["good"]
        assert any("zz-broken.jsonl" in p for p in store.problems)
        store.append([ev.TaskStarted(task="after")])  # still writable
        assert [e.task for e in store.events()] == ["good", "after"]


def test_a_foreign_branch_of_the_same_name_is_not_touched(repo: Path, backend: str) -> None:
    git(repo, "branch", "orch/state")
    with open_store(repo) as store, pytest.raises(StateConflict, match="not a gitorch state branch"):
        store.append([ev.TaskStarted(task="a")])


def test_unknown_event_types_survive(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.TaskStarted(task="a")])
    _replace_on_branch(
        repo, "sessions/undated/future/00/x.jsonl",
        b'{"type":"from_the_future","id":"zz","ts":"2030-01-01T00:00:00.000Z","wow":1}\n',
    )
    with open_store(repo) as store:
        got = store.events()
        assert isinstance(got[-1], ev.UnknownEvent) and got[-1].original_type == "from_the_future"


def test_second_repo_is_independent(tmp_path: Path, backend: str) -> None:
    one, two = make_repo(tmp_path / "one"), make_repo(tmp_path / "two")
    with open_store(one) as s1, open_store(two) as s2:
        s1.append([ev.TaskStarted(task="a")])
        assert s2.events() == [] and not s2.exists()


def test_a_partly_broken_segment_keeps_its_readable_lines(repo: Path, backend: str) -> None:
    good = ev.TaskStarted(task="kept")
    with open_store(repo) as store:
        store.init()
    _replace_on_branch(
        repo, "sessions/undated/hand/00/edited.jsonl", ev.encode(good) + b"\n{broken\n",
    )
    with open_store(repo) as store:
        assert [e.id for e in store.events()] == [good.id]
        assert store.problems == [
            p for p in store.problems if p.startswith("sessions/undated/hand/00/edited.jsonl:2:")
        ] and store.problems


def test_a_stale_ref_lock_left_by_a_killed_writer_is_cleared(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.TaskStarted(task="a")])
        lock = repo / ".git" / "refs" / "heads" / "orch" / "state.lock"
        lock.write_text("")
        os.utime(lock, (0, 0))  # long ago: its writer is gone
        store.append([ev.TaskStarted(task="b")])
        assert not lock.exists()
        assert [e.task for e in store.events()] == ["a", "b"]


def test_commit_messages_tell_what_the_commit_did_to_the_run(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r1"), ev.Skipped(run="r1", task="a")])
        store.append([ev.TaskStarted(run="r1", task="b"), ev.TaskCompleted(run="r1", task="b")])
        store.append([ev.Completed(run="r1", status="completed")])
        store.append([], files={"plans/x.json": b"{}"})
        assert [c.message.strip() for c in store.log(4)] == [
            "orch: 0 events, 1 file", "run r1 completed: 1 completed, 1 skipped",
            "run r1: 1 completed, 1 skipped so far", "run r1: 1 skipped so far"]
