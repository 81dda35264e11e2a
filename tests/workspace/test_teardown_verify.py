"""Teardown that checks first: `--verify CMD` or the manifest's [teardown] verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .fixtures import git, tree_digest
from .test_effective import NPM, small_workspace


@pytest.fixture
def linked(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    hub = small_workspace(tmp_path, NPM, [("npmapp", "npmlib")])
    monkeypatch.chdir(hub)
    assert cli("ws", "apply").exit_code == 0
    return hub


def test_verify_failing_stops_the_teardown_with_its_output(linked: Path, cli: Any) -> None:
    root = linked.parent
    applied = tree_digest(root)
    result = cli("ws", "teardown", "--verify", "echo checking $(basename $PWD); exit 3")
    assert result.exit_code == 1
    assert "teardown stopped before changing anything: `echo checking $(basename $PWD); exit 3` " \
           "failed in npmapp (exit 3):\nchecking npmapp" in result.output
    assert tree_digest(root) == applied
    assert cli("ws", "teardown", "--verify", "test -f package.json").exit_code == 0
    assert '"^1.0.0"' in (root / "npmapp/package.json").read_text()


def test_manifest_verify_and_force(linked: Path, cli: Any) -> None:
    manifest = linked / "workspace.toml"
    manifest.write_text(manifest.read_text() + '[teardown]\nverify = "exit 1"\n')
    git(linked, "commit", "-qam", "verify before teardown")
    result = cli("ws", "teardown")
    assert result.exit_code == 1 and "`exit 1` failed in npmapp" in result.output
    assert cli("ws", "teardown", "--force").exit_code == 0


def test_bad_teardown_table_is_located(linked: Path, cli: Any) -> None:
    manifest = linked / "workspace.toml"
    manifest.write_text(manifest.read_text() + "[teardown]\nverify = 3\n")
    result = cli("ws", "status")
    assert result.exit_code == 2 and "teardown.verify" in result.output
