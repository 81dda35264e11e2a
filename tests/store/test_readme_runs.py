"""The README's table of the latest runs, read from the summaries on the branch in one
exchange with the backend (read_blobs), on both backends."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec
import pytest

from gitorch import config
from gitorch import events as ev
from gitorch.errors import GitError
from gitorch.repo import find_repo
from gitorch.store import layout, runindex, summary
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
        runs = store.backend.tree_entry(tree, "runs")
        assert runs is not None
        entries = {e.name: e for e in store.backend.read_tree(runs.oid)}
        entries["r1.json"] = entries["r1.json"]._replace(oid=broken)
        fixed = store.backend.write_tree(entries.values())
        root = store.backend.edit_tree(tree, {"runs": runs._replace(oid=fixed)})
        text = summary.render_readme(store.backend, root, {}, store.branch).decode()
        assert "## Latest runs (1 of 2)" in text and "`r2`" in text and "`r1`" not in text


def _read_whole(store: StateStore) -> bytes:
    """The README as made from every summary on the branch (no seal lines)."""
    tree = store.state.root_tree()
    return summary.render_readme(store.backend, tree, {}, store.branch)


def test_the_seal_keeps_the_readmes_lines_equal_to_the_summaries(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        for i in range(layout.README_RUNS + 4):
            run = f"2026-{(i * 7) % 60:03d}"  # runs in no order, some written again later
            store.append([ev.RunStarted(run=run, plan_file="p.yml"),
                          ev.Completed(run=run, status="failed" if i % 5 else "completed", failures=["x"])])
            idx = runindex.read_index(store.backend, store.state.root_tree())
            assert idx is not None and idx.seal.readme is not None
            assert len(idx.seal.readme) == min(layout.README_RUNS, len(store.list("runs")))
            assert store.read(layout.README) == _read_whole(store), i


def test_a_seal_from_before_the_lines_gains_them_at_the_next_append(repo: Path, backend: str) -> None:
    with open_store(repo) as store:
        for run in ("r1", "r2", "r3"):
            store.append([ev.RunStarted(run=run)])
        tree = store.state.root_tree()
        seal = runindex.read_seal(store.backend, tree)
        assert seal is not None and [line.run for line in seal.readme or []] == ["r3", "r2", "r1"]
        old = msgspec.structs.replace(seal, readme=None, recent="")  # as an older gitorch wrote it

        def build(base: str | None) -> dict[str, str | None]:
            return {}

        def reseal(trees: Mapping[str, str]) -> dict[str, str | None]:
            return {layout.INDEX: runindex.seal_blob(store.backend, trees, old)}

        store.state.update(build, "an older writer", seal=reseal)
        assert runindex.read_seal(store.backend, store.state.root_tree()).readme is None  # type: ignore[union-attr]
        store.append([ev.Completed(run="r1", status="completed")])
        seal = runindex.read_seal(store.backend, store.state.root_tree())
        assert seal is not None and [line.run for line in seal.readme or []] == ["r3", "r2", "r1"]
        assert seal.readme is not None and seal.readme[2].status == "completed"
        assert store.read(layout.README) == _read_whole(store)
