"""Several links in one manifest, made by separate applies in the opposite of name order:
teardown removes the last made first and restores the original bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .fixtures import _commit, git, statuses, tree_digest

APP = ('[project]\nname = "app"\ndependencies = ["alib", "blib>=1"]  # two of ours\n\n'
       '[tool.uv]\ndev-dependencies = []\n')
GOAPP = ("module example.com/app\n\ngo 1.21\n\n"
         "require (\n\texample.com/alib v0.1.0\n\texample.com/blib v0.1.0\n)\n")


def manifest(links: list[tuple[str, str]]) -> str:
    repos = ["hub", "alib", "blib", "app", "goalib", "goblib", "goapp"]
    text = "".join(f'[[repos]]\nname = "{r}"\npath = "{"." if r == "hub" else "../" + r}"\n\n' for r in repos)
    return text + "".join(f'[[links]]\nconsumer = "{c}"\nprovider = "{p}"\n\n' for c, p in links)


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    for name in ("alib", "blib"):
        _commit(root / name, {"pyproject.toml": f'[project]\nname = "{name}"\nversion = "1.0"\n'})
        _commit(root / f"go{name}", {"go.mod": f"module example.com/{name}\n\ngo 1.21\n"})
    _commit(root / "app", {"pyproject.toml": APP})
    _commit(root / "goapp", {"go.mod": GOAPP})
    _commit(root / "hub", {"workspace.toml": manifest([("app", "blib"), ("goapp", "goblib")])})
    monkeypatch.chdir(root / "hub")
    return root / "hub"


def test_two_links_in_one_file_teardown_exactly(shared: Path, cli: Any) -> None:
    root = shared.parent
    before = tree_digest(root)
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]
    (shared / "workspace.toml").write_text(manifest([("app", "blib"), ("app", "alib"),
                                                     ("goapp", "goblib"), ("goapp", "goalib")]))
    git(shared, "commit", "-qam", "both")
    before = {**before, "hub/workspace.toml": tree_digest(root)["hub/workspace.toml"]}
    result: Any = cli("ws", "apply")
    assert result.exit_code == 0, result.output
    text = (root / "app/pyproject.toml").read_text()
    assert 'alib = { path = "../alib", editable = true }' in text
    assert 'blib = { path = "../blib", editable = true }' in text
    assert "replace example.com/alib => ../goalib" in (root / "goapp/go.work").read_text()
    assert cli("ws", "observe").exit_code == 0  # type: ignore[attr-defined]
    result = cli("ws", "teardown")
    assert result.exit_code == 0, result.output
    assert tree_digest(root) == before
    assert all(st == "" for st in statuses(root).values())
