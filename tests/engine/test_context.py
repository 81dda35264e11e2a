"""The Context: built once, lazy members, terminal facts."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.context import build_context
from gitorch.errors import NotARepoError


def test_lazy_members_and_the_repository(repo: Path) -> None:
    ctx = build_context(cwd=repo)
    assert "repo" not in ctx.__dict__ and "store" not in ctx.__dict__  # nothing found yet
    assert ctx.repo.root == repo
    assert ctx.settings.state_branch == "orch/state"
    assert ctx.store.repo == ctx.repo and ctx.store.branch == "orch/state"
    assert ctx.store is ctx.store  # built once


def test_plan_is_loaded_on_first_use(repo: Path) -> None:
    (repo / "orchestrator.json").write_text('{"version": 1, "tasks": [{"id": "A", "title": "a"}]}')
    ctx = build_context(cwd=repo)
    assert [t.id for t in ctx.plan.plan.tasks] == ["A"]
    other = ctx.with_file("missing.yml")
    assert other.repo is ctx.repo and other.file == "missing.yml"


def test_outside_a_repository_fails_on_first_use(tmp_path: Path) -> None:
    ctx = build_context(cwd=tmp_path)  # building never fails
    with pytest.raises(NotARepoError):
        _ = ctx.repo


def test_terminal_facts() -> None:
    plain = build_context(stream=io.StringIO(), environ={})
    assert not plain.output.tty and not plain.output.colour and not plain.json
    forced = build_context(json=False, stream=io.StringIO(), environ={"FORCE_COLOR": "1"})
    assert forced.output.colour
    as_json = build_context(json=True, stream=io.StringIO(), environ={"FORCE_COLOR": "1"})
    assert as_json.json and not as_json.output.colour
    assert plain.prog == "git orch"  # gitorch.invocation.name(): as the user ran it
    assert build_context(prog="python3 orch.pyz").prog == "python3 orch.pyz"


def test_building_a_context_imports_nothing_heavy() -> None:
    code = ("import sys, gitorch.context as c; c.build_context(); "
            "print(sorted(m for m in ('pygit2', 'msgspec', 'typer', 'gitorch.store.state', "
            "'gitorch.config') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
