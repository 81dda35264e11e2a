"""Links that really took effect: each ecosystem's own resolver asked from the consumer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .fixtures import _commit
from .test_toolchains import RUST_ENV, _cargo_works


def small_workspace(root: Path, repos: dict[str, dict[str, str]], links: list[tuple[str, str]]) -> Path:
    """Real repos under `root` and a hub holding workspace.toml; returns the hub."""
    for name, files in repos.items():
        _commit(root / name, files)
    text = '[[repos]]\nname = "hub"\npath = "."\n\n'
    text += "".join(f'[[repos]]\nname = "{n}"\npath = "../{n}"\n\n' for n in repos)
    text += "".join(f'[[links]]\nconsumer = "{c}"\nprovider = "{p}"\n\n' for c, p in links)
    _commit(root / "hub", {"workspace.toml": text})
    return root / "hub"


NPM = {
    "npmlib": {"package.json": '{"name": "npmlib", "version": "1.0.0", "main": "index.js"}\n',
               "index.js": "module.exports = 42;\n"},
    "npmapp": {"package.json": '{\n  "name": "npmapp",\n  "dependencies": {\n'
                               '    "npmlib": "^1.0.0"\n  }\n}\n',
               ".gitignore": "node_modules/\n"},
}


@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                    reason="node/npm not installed")
def test_node_link_not_effective_until_installed(tmp_path: Path, cli: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    hub = small_workspace(tmp_path, NPM, [("npmapp", "npmlib")])
    monkeypatch.chdir(hub)
    stale = tmp_path / "npmapp/node_modules/npmlib"  # what a registry install left there
    stale.mkdir(parents=True)
    (stale / "package.json").write_text('{"name": "npmlib", "version": "1.0.0"}\n')
    result = cli("ws", "apply")
    assert result.exit_code == 1
    assert "link npmapp/npmlib: applied but not effective: node resolves npmlib to" in result.output
    assert "node_modules/npmlib/package.json, not into" in result.output
    observed = json.loads(cli("ws", "observe", "--json").stdout)
    assert [f["kind"] for f in observed["findings"]] == ["not_effective"]

    shutil.rmtree(tmp_path / "npmapp/node_modules")
    proc = subprocess.run(["npm", "install", "--offline", "--no-audit", "--no-fund"], cwd=tmp_path / "npmapp",
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = cli("ws", "observe", "--json")
    assert result.exit_code == 0, result.output
    (effect,) = json.loads(result.stdout)["links"]
    assert effect["state"] == "effective" and str(tmp_path / "npmlib") in effect["reason"]


def _cargo_repos(requirement: str) -> dict[str, dict[str, str]]:
    return {
        "rcrate": {"Cargo.toml": '[package]\nname = "rcrate"\nversion = "0.1.3"\nedition = "2021"\n',
                   "src/lib.rs": "pub fn hello() {}\n"},
        "rapp": {"Cargo.toml": '[package]\nname = "rapp"\nversion = "0.1.0"\nedition = "2021"\n\n'
                               f'[dependencies]\nrcrate = "{requirement}"\n',
                 "src/main.rs": "fn main() { rcrate::hello() }\n", ".gitignore": "target/\nCargo.lock\n"},
    }


@pytest.mark.slow
@pytest.mark.skipif(not _cargo_works(), reason="cargo with a toolchain not installed")
@pytest.mark.parametrize(("requirement", "code", "said"), [
    ("0.1", 0, "link rapp/rcrate: effective (cargo uses rcrate from"),
    ("0.2", 1, "link rapp/rcrate: applied but not effective: failed to select a version for the "
               "requirement `rcrate = \"^0.2\"`; candidate versions found which didn't match: 0.1.3"),
])
def test_cargo_patch_effective_or_not(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                      requirement: str, code: int, said: str) -> None:
    for key, value in RUST_ENV.items():
        monkeypatch.setenv(key, value)
    hub = small_workspace(tmp_path, _cargo_repos(requirement), [("rapp", "rcrate")])
    monkeypatch.chdir(hub)
    result = cli("ws", "apply")
    assert result.exit_code == code, result.output
    assert said in result.output


def test_python_link_checked_with_the_consumers_venv(tmp_path: Path, cli: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    repos = {
        "pylib": {"pyproject.toml": '[project]\nname = "pylib"\nversion = "0.1"\n'},
        "app": {"pyproject.toml": '[project]\nname = "app"\nversion = "1"\ndependencies = ["pylib>=0.1"]\n',
                ".gitignore": ".venv/\n"},
    }
    hub = small_workspace(tmp_path, repos, [("app", "pylib")])
    monkeypatch.chdir(hub)
    result = cli("ws", "apply")
    assert result.exit_code == 0, result.output
    assert "link app/pylib: not verified: app has no .venv" in result.output
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "app/.venv")], check=True)
    result = cli("ws", "observe")
    assert result.exit_code == 1
    assert "not_effective: link app/pylib: applied but not effective: pylib is not installed in app/.venv" \
        in result.output


@pytest.mark.skipif(shutil.which("go") is not None and shutil.which("mix") is not None,
                    reason="go and mix are both installed here")
def test_missing_toolchain_is_not_verified_never_a_pass(hub: Path, cli: Any) -> None:
    assert cli("ws", "apply").exit_code == 0
    links = {e["key"]: e for e in json.loads(cli("ws", "observe", "--json").stdout)["links"]}
    for tool, key in (("go", "goapp/golib"), ("mix", "exapp/exlib")):
        if shutil.which(tool) is None:
            assert links[key]["state"] == "not_verified"
            assert links[key]["reason"] == f"{tool} not installed"
