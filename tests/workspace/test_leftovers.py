"""A rollback that fails: its leftovers are recorded, observed as drift, finished by repair
or restored by teardown; a later apply + teardown compares against the right base."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .fixtures import statuses, tree_digest


def _fail_rollback(hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> dict[int, str]:
    plan = json.loads(cli("ws", "plan", "--json").stdout)
    targets = {op["index"]: op["target"] for op in plan["operations"]}
    monkeypatch.setenv("GITORCH_FAULT", "apply:3,rollback:1")
    result = cli("ws", "apply")
    assert result.exit_code == 1 and "rollback of operation 1 failed" in result.output
    monkeypatch.delenv("GITORCH_FAULT")
    return targets


def test_leftovers_are_drift_until_repair_finishes_the_rollback(
        hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub.parent
    before = tree_digest(root)
    targets = _fail_rollback(hub, cli, monkeypatch)
    left_repos = {targets[0].split("/")[0], targets[1].split("/")[0]}
    observed = cli("ws", "observe", "--json")
    assert observed.exit_code == 1
    findings = json.loads(observed.stdout)["findings"]
    assert [f["kind"] for f in findings] == ["leftover", "leftover"]
    assert all("a rollback failed; `git orch ws repair` finishes it" in f["message"] for f in findings)
    assert {Path(f["message"].split(" still differs")[0]).parent.name for f in findings} == left_repos

    dry = cli("ws", "repair", "--dry-run")
    assert dry.exit_code == 0 and dry.output.count("would restore:") == 2
    assert tree_digest(root) != before
    result = cli("ws", "repair")
    assert result.exit_code == 0 and result.output.count("restored ") == 2
    assert tree_digest(root) == before and all(not s for s in statuses(root).values())
    assert cli("ws", "observe").exit_code == 0

    # The next attach records its own base; teardown comes back to exactly that.
    assert cli("ws", "apply").exit_code == 0
    assert json.loads(cli("ws", "teardown", "--json").stdout)["verified"] is True
    assert tree_digest(root) == before


def test_teardown_restores_leftovers_from_their_preimages(
        hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub.parent
    before = tree_digest(root)
    _fail_rollback(hub, cli, monkeypatch)
    result = cli("ws", "teardown", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["restored"]) == 2
    assert tree_digest(root) == before
    assert cli("ws", "observe").exit_code == 0
