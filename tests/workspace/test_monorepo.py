"""Monorepo providers and consumers: Cargo workspaces (virtual roots, members, cfg targets)
and npm workspaces; the capability precondition checks the package at the linked folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .fixtures import git, tree_digest
from .test_effective import small_workspace
from .test_toolchains import RUST_ENV, _cargo_works

SERDE = {  # serde's shape: a virtual workspace root, crates in member folders
    "Cargo.toml": '[workspace]\nmembers = ["serde", "serde_derive"]\nresolver = "2"\n',
    "serde/Cargo.toml": '[package]\nname = "serde"\nversion = "1.0.200"\nedition = "2021"\n',
    "serde/src/lib.rs": "pub fn ser() {}\n",
    "serde_derive/Cargo.toml": '[package]\nname = "serde_derive"\nversion = "1.0.200"\nedition = "2021"\n',
    "serde_derive/src/lib.rs": "pub fn derive() {}\n",
}
SJ = {  # a consumer that is a workspace too, its dependency under a cfg target
    "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
    "crates/sj/Cargo.toml": ('[package]\nname = "sj"\nversion = "0.1.0"\nedition = "2021"\n\n'
                             "[target.'cfg(unix)'.dependencies]\nserde = \"1\"\n"),
    "crates/sj/src/lib.rs": "pub fn go() { serde::ser() }\n",
    ".gitignore": "target/\nCargo.lock\n",
}


def test_cargo_workspace_member_of_a_virtual_root(tmp_path: Path, cli: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in RUST_ENV.items():
        monkeypatch.setenv(key, value)
    hub = small_workspace(tmp_path, {"serde": SERDE, "sj": SJ}, [("sj", "serde")])
    monkeypatch.chdir(hub)
    before = tree_digest(tmp_path)
    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    serde = next(r for r in snap["repos"] if r["name"] == "serde")
    assert {(p["name"], p["dir"]) for p in serde["provides"]} == {("serde", "serde"),
                                                                   ("serde_derive", "serde_derive")}
    result = cli("ws", "apply")
    assert "link sj/serde" in result.output
    overlay = (tmp_path / "sj/.cargo/config.toml").read_text()
    assert overlay == '[patch.crates-io]\nserde = { path = "../serde/serde" }\n'
    if _cargo_works():
        assert result.exit_code == 0, result.output
        assert "link sj/serde: effective (cargo uses serde from" in result.output
    observed = json.loads(cli("ws", "observe", "--json").stdout)
    assert observed["findings"] == [] or not _cargo_works()
    assert cli("ws", "teardown").exit_code == 0
    assert tree_digest(tmp_path) == before


MONO = {
    "package.json": '{"name": "mono", "private": true, "workspaces": ["packages/*"]}\n',
    "packages/npmlib/package.json": '{"name": "npmlib", "version": "1.0.0", "main": "index.js"}\n',
    "packages/npmlib/index.js": "module.exports = 42;\n",
    "packages/other/package.json": '{"name": "other", "version": "1.0.0"}\n',
}
APP = {"package.json": '{\n  "name": "npmapp",\n  "dependencies": {\n    "npmlib": "^1.0.0"\n  }\n}\n'}


def test_npm_workspace_member_is_linked_and_checked(tmp_path: Path, cli: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    hub = small_workspace(tmp_path, {"mono": MONO, "npmapp": APP}, [("npmapp", "mono")])
    monkeypatch.chdir(hub)
    plan_file = tmp_path / "plan.json"
    assert cli("ws", "plan", "--out", str(plan_file)).exit_code == 0
    plan = json.loads(plan_file.read_text())
    capability = next(p for p in plan["preconditions"] if p["type"] == "capability")
    assert capability["expected"] == {"ecosystem": "npm", "package": "npmlib", "dir": "packages/npmlib"}
    assert plan["links"][0]["path"] == "file:../mono/packages/npmlib"

    member = tmp_path / "mono/packages/npmlib/package.json"  # the member no longer offers npmlib
    member.write_text(member.read_text().replace('"npmlib"', '"npmlib-next"'))
    git(tmp_path / "mono", "commit", "-qam", "rename")
    before = tree_digest(tmp_path)
    result = cli("ws", "apply", str(plan_file))
    assert result.exit_code == 1
    assert ("the link points at mono/packages/npmlib, which provides npmlib-next, not the npm "
            "package npmlib (mono has: mono in ., npmlib-next in packages/npmlib, other in packages/other)") \
        in result.output
    assert tree_digest(tmp_path) == before
