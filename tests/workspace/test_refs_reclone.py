"""Refs checked out by apply (rolled back on a fault), and a deleted repo cloned again by repair."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from .fixtures import git, manifest_text, tree_digest


def test_ref_checked_out_and_rolled_back_on_fault(
        hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = hub.parent / "golib"
    git(lib, "branch", "feature")
    manifest = manifest_text(links=[("goapp", "golib")]).replace(
        'name = "golib"\npath = "../golib"\n', 'name = "golib"\npath = "../golib"\nref = "feature"\n')
    (hub / "workspace.toml").write_text(manifest)
    git(hub, "commit", "-qam", "ref")
    plan = json.loads(cli("ws", "plan", "--json").stdout)  # type: ignore[attr-defined]
    ops = [(op["type"], op["target"]) for op in plan["operations"]]
    assert ops == [("checkout_ref", "golib"), ("create_link", "goapp/golib")]
    assert plan["operations"][1]["depends_on"] == [0]
    before = tree_digest(hub.parent)
    monkeypatch.setenv("GITORCH_FAULT", "apply:1")
    assert cli("ws", "apply").exit_code == 1  # type: ignore[attr-defined]
    assert git(lib, "rev-parse", "--abbrev-ref", "HEAD") == "main"  # the checkout was undone
    assert tree_digest(hub.parent) == before
    monkeypatch.delenv("GITORCH_FAULT")
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]
    assert git(lib, "rev-parse", "--abbrev-ref", "HEAD") == "feature"
    assert json.loads(cli("ws", "observe", "--json").stdout)["drift"] is False  # type: ignore[attr-defined]


def test_deleted_repo_is_cloned_again_by_repair(hub: Path, cli: Any, tmp_path: Path) -> None:
    remote = tmp_path / "npmlib.git"
    git(tmp_path, "clone", "-q", "--bare", str(hub.parent / "npmlib"), str(remote))
    text = manifest_text(links=[("npmapp", "npmlib")]).replace(
        'name = "npmlib"\npath = "../npmlib"\n',
        f'name = "npmlib"\npath = "../npmlib"\nurl = "{remote}"\n')
    (hub / "workspace.toml").write_text(text)
    git(hub, "commit", "-qam", "url")
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]
    shutil.rmtree(hub.parent / "npmlib")
    observed = json.loads(cli("ws", "observe", "--json").stdout)  # type: ignore[attr-defined]
    kinds = {(f["kind"], f["repo"]) for f in observed["findings"]}
    assert ("repo_deleted", "npmlib") in kinds and ("link_broken", "npmapp") in kinds
    result: Any = cli("ws", "repair", "--json")
    assert result.exit_code == 0, result.output
    assert (hub.parent / "npmlib/package.json").exists()
    assert json.loads(cli("ws", "observe", "--json").stdout)["drift"] is False  # type: ignore[attr-defined]


def test_deleted_repo_without_url_cannot_be_repaired(hub: Path, cli: Any) -> None:
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]
    shutil.rmtree(hub.parent / "exlib")
    result: Any = cli("ws", "repair")
    assert result.exit_code == 1
    assert "cannot repair: exlib deleted and no url to clone from" in result.output
