"""Stored snapshots and workspace plans of every past schema version are upgraded step by
step (workspace/upgrade.py); a newer version is refused, never rewritten."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitorch.errors import StateConflict
from gitorch.workspace.model import SNAPSHOT_SCHEMA_VERSION, decode_snapshot
from gitorch.workspace.plan import PLAN_SCHEMA_VERSION, load_plan, plan_id
from gitorch.workspace.upgrade import _STEPS, CURRENT

FIXTURES = Path(__file__).parent / "fixtures_schema"


def test_every_past_version_has_a_fixture_and_a_step() -> None:
    assert CURRENT == {"snapshot": SNAPSHOT_SCHEMA_VERSION, "workspace plan": PLAN_SCHEMA_VERSION}
    for kind, current in CURRENT.items():
        stem = "plan" if kind == "workspace plan" else kind
        for version in range(1, current):
            assert (kind, version) in _STEPS
            assert (FIXTURES / f"{stem}-v{version}.json").is_file()


def test_snapshot_v1_is_upgraded() -> None:
    data = (FIXTURES / "snapshot-v1.json").read_bytes()
    assert b'"dir"' not in data
    snap = decode_snapshot(data)
    assert snap.schema_version == SNAPSHOT_SCHEMA_VERSION
    assert {(p.name, p.dir) for r in snap.repos for p in r.provides} == {("npmlib", ""), ("npmapp", "")}


def test_plan_v1_is_upgraded_and_keeps_its_check_against_its_id() -> None:
    data = (FIXTURES / "plan-v1.json").read_bytes()
    written = json.loads(data)
    plan = load_plan(data, "plan-v1.json")
    assert plan.schema_version == PLAN_SCHEMA_VERSION and plan.id == plan_id(plan) != written["id"]
    capability = next(p for p in plan.preconditions if p.type == "capability")
    assert capability.expected == {"ecosystem": "npm", "package": "npmlib", "dir": ""}
    edited = data.replace(b'"npmlib is checked out"', b'"npmlib is here"')
    with pytest.raises(StateConflict, match="does not match its id"):
        load_plan(edited, "plan-v1.json")


@pytest.mark.parametrize("name", ["snapshot-v1.json", "plan-v1.json"])
def test_a_newer_version_is_refused(name: str) -> None:
    raw: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    raw["schema_version"] = 99
    with pytest.raises(StateConflict, match="schema version 99; this gitorch reads up to 2"):
        if name.startswith("plan"):
            load_plan(json.dumps(raw).encode(), name)
        else:
            decode_snapshot(json.dumps(raw).encode())


def test_an_upgraded_v1_plan_applies(hub: Path, cli: Any, tmp_path: Path) -> None:
    """A plan saved by the version-1 gitorch (the same plan, written as version 1) applies."""
    import msgspec

    from gitorch.workspace.plan import WorkspacePlan

    current = json.loads(cli("ws", "plan", "--json").stdout)
    current["schema_version"] = 1
    for pre in current["preconditions"]:
        if pre["type"] == "capability":
            pre["expected"].pop("dir")
    current["id"] = plan_id(msgspec.convert(current, WorkspacePlan))
    saved = tmp_path / "v1.json"
    saved.write_text(json.dumps(current))
    result = cli("ws", "apply", str(saved), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "committed"
