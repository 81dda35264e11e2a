"""The workspace's entry points called in-process on real repositories (no typer in between)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch.context import build_context
from gitorch.errors import CheckFailed
from gitorch.workspace import apply, drift, model, plan, record
from gitorch.workspace.materialize import (
    Workspace,
    apply_workspace,
    attach_plan,
    record_planned,
    verify_saved,
)

from .fixtures import LINKS


def test_plan_verify_apply_without_the_cli(hub: Path) -> None:
    ws = Workspace.of(build_context(cwd=hub))
    made, _, _ = attach_plan(ws)
    record_planned(ws, made)
    assert ws.recorder.store.read(record.plan_path(made.id)) == made.to_bytes()
    verify_saved(ws, made)
    (done_plan, outcome), = apply_workspace(ws, made)
    assert done_plan.id == made.id and outcome.state == "committed"
    applied = ws.desired()
    assert applied is not None and {lk.key for lk in applied.links} == {f"{c}/{p}" for c, p in LINKS}
    # The same saved plan no longer verifies: its file hashes describe the unlinked manifests.
    with pytest.raises(CheckFailed, match="changed since the plan was made"):
        verify_saved(ws, made)


def test_one_name_per_concept() -> None:
    # Names shared with other concepts (plan.model.Plan, the event journal, the engine's recorder,
    # the runner's outcome, doctor's finding, discovery's RepoInfo) are gone from workspace/.
    assert not hasattr(plan, "Plan") and hasattr(plan, "WorkspacePlan")
    assert not hasattr(apply, "Journal") and hasattr(apply, "UndoLog")
    assert not hasattr(apply, "Outcome") and hasattr(apply, "ApplyOutcome")
    assert not hasattr(record, "Recorder") and hasattr(record, "WorkspaceRecorder")
    assert not hasattr(drift, "Finding") and hasattr(drift, "DriftFinding")
    assert not hasattr(model, "RepoInfo") and hasattr(model, "SnapshotRepo")
    aliased = [f.name for f in Path(apply.__file__).parent.glob("*.py")
               if "import" in f.read_text() and any(f" as {c}\n" in f.read_text() for c in "ADLS")]
    assert aliased == []
