"""Go and Cargo links live in uncommitted overlays (go.work, .cargo/config.toml), excluded
through .git/info/exclude: no tracked file changes, and teardown restores every byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from .fixtures import statuses, tree_digest
from .test_effective import small_workspace
from .test_toolchains import RUST_ENV, _cargo_works

REPOS = {
    "golib": {"go.mod": "module example.com/golib\n\ngo 1.19\n", "lib.go": "package golib\n"},
    "goapp": {"go.mod": "module example.com/goapp\n\ngo 1.19\n\nrequire example.com/golib v0.1.0\n"},
    "rcrate": {"Cargo.toml": '[package]\nname = "rcrate"\nversion = "0.1.3"\nedition = "2021"\n',
               "src/lib.rs": "pub fn hello() {}\n"},
    "rapp": {"Cargo.toml": '[package]\nname = "rapp"\nversion = "0.1.0"\nedition = "2021"\n\n'
                           '[dependencies]\nrcrate = "0.1"\n',
             "src/main.rs": "fn main() {}\n", ".gitignore": "target/\nCargo.lock\n"},
}
GO = shutil.which("go") is not None


def test_overlays_stay_out_of_commits_and_teardown_restores_every_byte(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in RUST_ENV.items():
        monkeypatch.setenv(key, value)
    hub = small_workspace(tmp_path, REPOS, [("goapp", "golib"), ("rapp", "rcrate")])
    exclude = tmp_path / "goapp/.git/info/exclude"  # the user's, without a final newline
    exclude.parent.mkdir()
    exclude.write_bytes(b"*.log")
    monkeypatch.chdir(hub)
    before = tree_digest(tmp_path)

    result = cli("ws", "apply")
    assert (tmp_path / "goapp/go.work").read_text() == (
        "go 1.19\n\nuse .\n\nreplace example.com/golib => ../golib\n")
    assert (tmp_path / "rapp/.cargo/config.toml").read_text() == (
        '[patch.crates-io]\nrcrate = { path = "../rcrate" }\n')
    assert exclude.read_bytes().startswith(b"*.log\n# gitorch: ws link overlay")
    assert exclude.read_bytes().endswith(b"\n/go.work\n")
    assert (tmp_path / "rapp/.git/info/exclude").read_text().endswith("\n/.cargo/config.toml\n")
    assert statuses(tmp_path)["goapp"] == statuses(tmp_path)["rapp"] == ""  # nothing to commit
    assert result.exit_code == 0, result.output
    go_said = "effective (go replaces example.com/golib with" if GO else "not verified: go not installed"
    assert f"link goapp/golib: {go_said}" in result.output
    if _cargo_works():
        assert "link rapp/rcrate: effective (cargo uses rcrate from" in result.output

    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    assert {(lk["repo"] + "/" + lk["provider"], lk["file"])
            for lk in snap["links"]} == {("goapp/golib", "go.work"), ("rapp/rcrate", ".cargo/config.toml")}
    assert cli("ws", "observe").exit_code == 0
    assert cli("ws", "gate").exit_code == 1  # an active link, even in an overlay

    (tmp_path / "rapp/.cargo/config.toml").unlink()  # taken away by hand
    observed = json.loads(cli("ws", "observe", "--json").stdout)
    assert observed["drift"] and "rapp/rcrate" in json.dumps(observed["findings"])
    result = cli("ws", "repair")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rapp/.cargo/config.toml").exists()
    result = cli("ws", "teardown")
    assert result.exit_code == 0, result.output
    assert tree_digest(tmp_path) == before
    assert exclude.read_bytes() == b"*.log"
    assert not (tmp_path / "rapp/.git/info/exclude").exists()
    assert not (tmp_path / "rapp/.cargo").exists() and not (tmp_path / "goapp/go.work").exists()


@pytest.mark.skipif(not _cargo_works(), reason="cargo with a toolchain not installed")
def test_a_cargo_patch_that_is_not_used_is_applied_but_not_effective(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in RUST_ENV.items():
        monkeypatch.setenv(key, value)
    repos = {k: dict(v) for k, v in REPOS.items() if k in ("rcrate", "rapp")}
    repos["rapp"]["Cargo.toml"] = repos["rapp"]["Cargo.toml"].replace(
        'rcrate = "0.1"', 'rcrate = { version = "0.1", optional = true }')  # never built
    hub = small_workspace(tmp_path, repos, [("rapp", "rcrate")])
    monkeypatch.chdir(hub)
    result = cli("ws", "apply")
    assert result.exit_code == 1, result.output
    assert ("link rapp/rcrate: applied but not effective: rcrate is not in cargo's crate graph: "
            "the [patch] is not used") in result.output
    observed = json.loads(cli("ws", "observe", "--json").stdout)
    assert [f["kind"] for f in observed["findings"]] == ["not_effective"]
