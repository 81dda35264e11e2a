"""put_tree against a plain dict model (hypothesis), on both backends; threads sharing a store."""

from __future__ import annotations

import threading
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
from gitorch.store.select import open_backend
from gitorch.store.statebranch import put_tree

names = st.sampled_from(["a", "b", "c d", "é"])
paths = st.lists(names, min_size=1, max_size=3).map("/".join)
steps = st.lists(st.tuples(paths, st.one_of(st.none(), st.binary(max_size=8))), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_put_tree_matches_a_dict_model(
    repo: Path, backend: str, steps: list[tuple[str, bytes | None]]
) -> None:
    be, _choice = open_backend(str(repo / ".git"), backend, str(repo / ".git" / "orch"))
    try:
        model: dict[str, bytes] = {}
        tree: str | None = None
        for path, data in steps:
            # A file and a directory cannot share a name: a write replaces whichever is there.
            if data is not None:
                model = {p: d for p, d in model.items()
                         if not p.startswith(path + "/") and not path.startswith(p + "/")}
                model[path] = data
            else:
                model = {p: d for p, d in model.items() if p != path and not p.startswith(path + "/")}
            change = {path: be.write_blob(data) if data is not None else None}
            if data is None:
                # Deleting a directory path removes everything below it.
                change = {p: None for p in _paths(be, tree) if p == path or p.startswith(path + "/")}
            tree = put_tree(be, tree, change) if change else tree
            assert {p: be.read_blob(e.oid) for p, e in be.walk(tree)} == model if tree else model == {}
    finally:
        be.close()


def _paths(be: object, tree: str | None) -> list[str]:
    return [p for p, _ in be.walk(tree)] if tree else []  # type: ignore[attr-defined]


def test_threads_share_one_store(repo: Path, backend: str) -> None:
    store = open_store(find_repo(repo))
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(10):
                store.append([ev.TaskStarted(task=f"{k}-{i}")])
                store.journal([ev.TaskCompleted(task=f"{k}-{i}")])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    store.flush()
    got = store.events()
    assert len(got) == 80 and len({e.id for e in got}) == 80
    store.close()
