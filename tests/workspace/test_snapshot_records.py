"""`ws snapshot` computes and writes the snapshot as workspace/records.py's plain records with
the standard library's JSON encoder (no msgspec on its path); what it writes must be, byte for
byte, what msgspec's deterministic encoder gives for the model (workspace/model.py, the one
definition), and the id the model's digest. Checked on real repos: every git state (see
test_snapshot_states.py's fixture), and the five-ecosystem workspace with links applied (path
dependencies, overlays, monorepo members, a lock that differs) and file names to escape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gitorch.workspace import model, records
from gitorch.workspace.capture import to_json
from gitorch.workspace.manifest import load
from gitorch.workspace.snapshot import capture

from .fixtures import git
from .test_flow import run
from .test_snapshot_states import states_ws  # noqa: F401 - the fixture

KINDS = ["Provided", "SnapshotRepo", "GitState", "Dependency", "LinkHashes", "Link", "FileState", "Topology",
         "Diagnostic", "Snapshot"]


def _model_of(rec: records.Snapshot) -> model.Snapshot:
    """The model of `rec`, checked to write the bytes and give the id the lean path does."""
    snap = model.from_record(rec)
    lean = records.canonical(rec)
    assert msgspec.json.encode(snap, order="deterministic") == lean == to_json(rec)
    assert msgspec.to_builtins(snap) == json.loads(lean)  # nothing lost in the conversion
    blank = msgspec.structs.replace(snap, id="", generated_at="")
    assert rec.id == "snap-" + model.digest(blank)[:16]  # the model's digest: msgspec's bytes
    return snap


@pytest.mark.parametrize("kind", KINDS)
def test_records_have_the_models_fields_order_and_defaults(kind: str) -> None:
    lean, struct = getattr(records, kind), getattr(model, kind)
    assert lean.__slots__ == struct.__struct_fields__
    for field in msgspec.structs.fields(struct):
        if field.required:
            assert field.name not in lean._defaults, field.name
            continue
        default = field.default if field.default_factory is msgspec.NODEFAULT else field.default_factory()
        assert records.plain(lean._defaults[field.name]) == msgspec.to_builtins(default), field.name
    assert set(lean._defaults) <= set(lean.__slots__)


def test_a_record_is_frozen_and_compares_by_value() -> None:
    state = records.GitState(repo="a", changed=["x"])
    with pytest.raises(AttributeError):
        state.repo = "b"  # type: ignore[misc]
    assert state == records.GitState(repo="a", changed=["x"]) != state.replace(dirty=True)
    assert state.replace(dirty=True).dirty and not state.dirty
    assert records.GitState(repo="a").changed is not records.GitState(repo="b").changed  # fresh lists
    with pytest.raises(TypeError, match="missing required field 'repo'"):
        records.GitState()
    with pytest.raises(TypeError, match="unexpected field 'colour'"):
        records.GitState(repo="a", colour="red")


def test_lean_json_is_the_models_in_every_git_state(states_ws: Path, tmp_path: Path) -> None:  # noqa: F811
    rec = capture(load(states_ws))
    snap = _model_of(rec)
    assert {d.kind for d in snap.diagnostics} == {"detached_head", "missing_repo", "conflict"}
    proc = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(states_ws), "--json"],
                          cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    at = json.loads(proc.stdout)["generated_at"]
    assert proc.stdout == records.canonical(rec.replace(generated_at=at)) + b"\n"  # same id, same bytes


def test_lean_json_is_the_models_with_links_overlays_members_and_a_lock(hub: Path, cli: Any) -> None:
    run(cli, "apply")  # recorded links: edits, overlays (go.work, .cargo/config.toml), hashes
    run(cli, "freeze")
    odd = hub.parent / "pylib" / 'q"uo\\te\ttab é \x01.txt'
    odd.write_text("x\n")
    git(hub.parent / "golib", "commit", "-q", "--allow-empty", "-m", "moves past the lock")
    from gitorch.context import build_context
    from gitorch.workspace.materialize import Workspace

    desired = Workspace.of(build_context(cwd=hub)).desired()
    assert desired is not None and desired.links
    manifest = load(hub)
    found = _model_of(capture(manifest))  # links found on disk only
    rec = capture(manifest, recorded=desired.links)  # links gitorch made keep their records
    snap = _model_of(rec)
    assert found.links and not any(lk.recorded for lk in found.links)
    assert [lk.key for lk in snap.links] == [lk.key for lk in found.links] and snap.topology.order
    assert all(lk.recorded for lk in snap.links) and snap.links == desired.links
    assert any(f.file == "go.work" for f in snap.files)
    assert {d.kind for d in snap.diagnostics} >= {"lock_differs"}
    assert odd.name in next(g for g in snap.git if g.repo == "pylib").changed


def test_enriched_parts_are_written_by_the_model(states_ws: Path) -> None:  # noqa: F811
    rec = capture(load(states_ws)).replace(
        pypi={"packages": [{"name": "x", "score": 1e16, "ratio": 1e-7, "latest": None}]},
        github={"prs": [], "issues": [{"title": "é", "n": 1}]})
    assert to_json(rec) == msgspec.json.encode(model.from_record(rec), order="deterministic")
    assert b'"score":1e16' in to_json(rec)  # msgspec's float format, not Python's 1e+16


def test_ws_snapshot_loads_no_msgspec(states_ws: Path, tmp_path: Path) -> None:  # noqa: F811
    probe = ("import sys; from gitorch.cli.entry import main\n"
             "try: main(['ws', 'snapshot', '--root', sys.argv[1], '--json'])\n"
             "except SystemExit: pass\n"
             "sys.stderr.write(repr(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('msgspec', 'typer', 'subprocess', 'pygit2'))))")
    proc = subprocess.run([sys.executable, "-c", probe, str(states_ws)], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.stderr.splitlines()[-1] == "[]", proc.stderr
    assert json.loads(proc.stdout)["root"] == str(states_ws)


@pytest.mark.parametrize("data", [
    {"a": [1, 2, {"b": None, "c": True, "d": False}], 'é\x01"\\': "q\u2028\ud800x", "n": 10**30, "f": 1.5},
    [], {}, "line\n", 5, None, {1: 2, None: 3, False: 4},
])
def test_dumps_writes_what_json_dumps_writes(data: Any) -> None:
    # records.dumps calls json's C encoder itself, so `ws snapshot` does not import json
    assert records.dumps(data) == json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


@pytest.mark.parametrize("data", [float("nan"), {"x": object()}, {(1,): 2}, [float("inf")]])
def test_dumps_refuses_what_json_dumps_refuses(data: Any) -> None:
    with pytest.raises((TypeError, ValueError)) as want:
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    with pytest.raises(want.type, match=str(want.value)[:20]):
        records.dumps(data)


def test_a_stamped_snapshots_bytes_and_id_are_those_of_a_fresh_walk(states_ws: Path) -> None:  # noqa: F811
    """records.stamp makes the id and the JSON in one walk: the id is the digest of the content
    with the id and the time blank, the bytes are what a walk of the stamped record gives;
    another record (the blank one, an enriched copy) is walked afresh."""
    snap = capture(states_ws)
    fresh = records.dumps(records.plain(snap)).encode()
    assert records.canonical(snap) == fresh
    blank = snap.replace(id="", generated_at="")
    assert snap.id == "snap-" + records.digest(blank)[:16]
    assert records.canonical(blank) == records.dumps(records.plain(blank)).encode() != fresh
    again = records.stamp(blank, snap.generated_at)
    assert again == snap and records.canonical(again) == fresh
