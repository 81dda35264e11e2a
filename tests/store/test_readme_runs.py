"""The README's table of the latest runs, read from the summaries on the branch in one
exchange with the backend (read_blobs), on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import config
from gitorch import events as ev
from gitorch.errors import GitError
from gitorch.repo import find_repo
from gitorch.store import layout, summary
from gitorch.store.select import open_backend
from gitorch.store.state import StateStore


def open_store(path: Path) -> StateStore:
    config._cache.clear()
    return config.open_store(find_repo(path))


def test_read_blobs_answers_in_order_past_one_batch(repo: Path, backend: str) -> None:
    be, _ = open_backend(str(repo / ".git"), backend, str(repo / ".git" / "orch"))
    try:
        datas = [b"blob %d\n" % i * (i % 7 + 1) for i in range(600)]  # more than one batch
        oids = [be.write_blob(d) for d in datas]
        assert be.read_blobs(oids) == datas
        assert be.read_blobs(list(reversed(oids[:3]))) == list(reversed(datas[:3]))
        assert be.read_blobs([]) == []
        with pytest.raises((GitError, KeyError, ValueError)):
            be.read_blobs([oids[0], "1" * 40])
        assert be.read_blob(oids[5]) == datas[5]  # the pipe is still in step afterwards
    finally:
        be.close()


def test_the_readme_lists_the_latest_runs_newest_first(repo: Path, backend: str) -> None:
    runs = [f"2026-{i:03d}" for i in range(layout.README_RUNS + 3)]
    with open_store(repo) as store:
        for i, run in enumerate(runs):
            store.append([ev.RunStarted(run=run, plan_file=f"p{i}.yml", ts=f"2026-01-01T00:{i // 60:02d}:"
                                        f"{i % 60:02d}.000Z")])
        store.append([ev.Completed(run=runs[-2], status="failed", failures=["a", "b"])])
        readme = (store.read(layout.README) or b"").decode()
        assert f"## Latest runs ({layout.README_RUNS} of {len(runs)})" in readme
        rows = [line for line in readme.splitlines() if line.startswith("| `")]
        assert [r.split("`")[1] for r in rows] == list(reversed(runs))[: layout.README_RUNS]
        assert f"| `{runs[-2]}` |" in rows[1] and "| failed | p51.yml | a, b |" in rows[1]
        # What the README is made of equals the summaries as they are decoded whole.
        tree = store.state.root_tree()
        whole = [summary.read_run(store.backend, tree, r) for r in reversed(runs)][: layout.README_RUNS]
        assert [(s.run, s.started, s.status, s.plan_file) for s in whole if s] == [
            (r.split("`")[1], r.split(" | ")[1], r.split(" | ")[3], r.split(" | ")[4]) for r in rows]


def test_a_summary_that_does_not_decode_is_left_out(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        store.append([ev.RunStarted(run="r1")])
        store.append([ev.RunStarted(run="r2")])
        tree = store.state.root_tree()
        assert tree is not None
        broken = store.backend.write_blob(b"not json")
        entries = {e.name: e for e in store.backend.read_tree(store.backend.tree_entry(tree, "runs").oid)}
        entries["r1.json"] = entries["r1.json"]._replace(oid=broken)
        runs_tree = store.backend.write_tree(entries.values())
        root = store.backend.edit_tree(tree, {"runs": store.backend.tree_entry(tree, "runs")._replace(
            oid=runs_tree)})
        text = summary.render_readme(store.backend, root, {}, store.branch).decode()
        assert "## Latest runs (1 of 2)" in text and "`r2`" in text and "`r1`" not in text
