"""store/layout: the names of the state branch's paths and the recorded-plan decoder."""

from __future__ import annotations

import msgspec

from gitorch.store import layout


class _Plan(msgspec.Struct):
    name: str
    tasks: list[str] = []


def test_paths_keep_their_recorded_shape() -> None:
    # These names are on existing branches: changing one orphans what clones recorded.
    assert layout.plan_path("ab12") == "plans/ab12.json"
    assert layout.log_path("r 1", "t/x", 2, "run tests") == "logs/r_1/t_x/2-run_tests.log"
    assert layout.workspace_plan_path("p1") == "workspace/plans/p1.json"
    assert layout.workspace_snapshot_path("s1") == "workspace/snapshots/s1.json"
    assert layout.migration_path("m1") == "migrations/m1.json"
    assert layout.legacy_copy_path("m1", "a/b.json") == "legacy/m1/a/b.json"
    assert layout.discovery_index_path("npm", "@scope/pkg") == "discovery/index/npm/@scope%2Fpkg.json"
    assert (layout.WATCH, layout.DASHBOARD, layout.REPO_CONFIG) == ("watch.json", "TASKS.md", "config.toml")


def test_read_recorded_plan_decodes_and_falls_back() -> None:
    files = {"plans/good.json": b'{"name": "p", "tasks": ["a"]}', "plans/bad.json": b'{"name": 3}'}
    good = layout.read_recorded_plan(files.get, "good", _Plan)
    assert good.value == _Plan("p", ["a"]) and good.problem == ""
    assert layout.read_recorded_plan(files.get, "bad", _Plan) == (None, "unreadable")
    assert layout.read_recorded_plan(files.get, "gone", _Plan) == (None, "missing")
    assert layout.read_recorded_plan(files.get, "", _Plan) == (None, "missing")
    files["plans/trunc.json"] = b'{"name": "p"'
    assert layout.read_recorded_plan(files.get, "trunc", _Plan).problem == "unreadable"
