"""store/layout: the names of the state branch's paths and the recorded-plan decoder."""

from __future__ import annotations

import msgspec
import pytest

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


def test_segment_paths_fan_out_by_month_day_and_session() -> None:
    sid = "s-019a0f0e4d80-77"  # 2025-10-23 UTC
    path = layout.segment_path(sid, "e1-abc.jsonl")
    month, day, h1, h2, folder, bucket, name = path.split("/")[1:]
    assert (month, day, folder, name) == ("2025-10", "23", sid, "e1-abc.jsonl")
    assert len(h1) == len(h2) == 1 and len(bucket) == 2 and int(h1 + h2 + bucket, 16) >= 0
    assert path == layout.segment_path(sid, "e1-abc.jsonl")  # deterministic: a re-flush writes nothing
    undated = layout.segment_path("ci job/7", "x.jsonl").split("/")
    assert (undated[1], undated[-3], len(undated)) == ("undated", "ci_job_7", 7)
    assert layout.safe_name("a/b c") == "a_b_c" and layout.safe_name("..") == "_"


def test_read_recorded_plan_decodes_and_falls_back() -> None:
    files = {"plans/good.json": b'{"name": "p", "tasks": ["a"]}', "plans/bad.json": b'{"name": 3}'}
    good = layout.read_recorded_plan(files.get, "good", _Plan)
    assert good.value == _Plan("p", ["a"]) and good.problem == ""
    assert layout.read_recorded_plan(files.get, "bad", _Plan) == (None, "unreadable")
    assert layout.read_recorded_plan(files.get, "gone", _Plan) == (None, "missing")
    assert layout.read_recorded_plan(files.get, "", _Plan) == (None, "missing")
    files["plans/trunc.json"] = b'{"name": "p"'
    assert layout.read_recorded_plan(files.get, "trunc", _Plan).problem == "unreadable"


def test_decode_seal_keeps_what_it_decoded_and_never_serves_a_stale_one() -> None:
    one = msgspec.json.encode(layout.Seal(sessions="a" * 40, lasts={f"r{i}": "" for i in range(300)}))
    two = msgspec.json.encode(layout.Seal(sessions="b" * 40, lasts={"r0": "2026-01-01T00:00:00.000Z"}))
    first = layout.decode_seal(one)
    assert first == msgspec.json.decode(one, type=layout.Seal)
    assert layout.decode_seal(bytes(one)) is first  # the same bytes read back: not decoded again
    assert layout.decode_seal(two) == msgspec.json.decode(two, type=layout.Seal) != first
    for n in range(20):  # past the few it keeps: still right
        data = msgspec.json.encode(layout.Seal(latest=["t", f"r{n}"]))
        assert layout.decode_seal(data).latest == ["t", f"r{n}"]
    with pytest.raises(msgspec.DecodeError):
        layout.decode_seal(b"{not json")
    written = layout.Seal(runs="c" * 40, lasts={"r1": ""})
    data = layout.encode_seal(written)  # what an append writes, the next one reads back
    assert data == msgspec.json.encode(written) + b"\n" and layout.decode_seal(data) is written
