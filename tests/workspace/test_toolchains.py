"""The edits work with the real tools, when they are installed (offline, no registry needed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gitorch.workspace import links as L

# Collected before the hermetic HOME is set: where rustup and cargo keep their toolchains.
_HOME = Path.home()
RUST_ENV = {k: str(_HOME / d) for k, d in (("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo"))
            if (_HOME / d).is_dir()}


def _cargo_works() -> bool:
    if shutil.which("cargo") is None:
        return False
    proc = subprocess.run(["cargo", "--version"], capture_output=True, env={**os.environ, **RUST_ENV})
    return proc.returncode == 0


def _link(tmp: Path, eco: str, consumer_text: str, dep: str) -> Path:
    app, lib = tmp / "app", tmp / "lib"
    data = consumer_text.encode()
    (app / L.MANIFEST_OF[eco]).write_bytes(data)
    file = app / L.link_file(eco)  # Cargo and Go: the uncommitted overlay
    old = file.read_bytes() if file.exists() else None
    link, new = L.make_link(consumer="app", consumer_dir=app, provider="lib", provider_dir=lib,
                            ecosystem=eco, dep=dep, data=old)
    file.parent.mkdir(exist_ok=True)
    file.write_bytes(new)
    assert L.restore(link, new, file) == (old or b"")
    return app


@pytest.mark.slow
@pytest.mark.skipif(not _cargo_works(), reason="cargo with a toolchain not installed")
def test_cargo_resolves_the_patch(tmp_path: Path) -> None:
    (tmp_path / "lib/src").mkdir(parents=True)
    (tmp_path / "app/src").mkdir(parents=True)
    (tmp_path / "lib/Cargo.toml").write_text(
        '[package]\nname = "rcrate"\nversion = "0.1.3"\nedition = "2021"\n')
    (tmp_path / "lib/src/lib.rs").write_text("pub fn hello() {}\n")
    (tmp_path / "app/src/main.rs").write_text("fn main() { rcrate::hello() }\n")
    app = _link(tmp_path, "cargo", '[package]\nname = "rapp"\nversion = "0.1.0"\nedition = "2021"\n\n'
                '[dependencies]\nrcrate = "0.1"   # from crates.io\n', "rcrate")
    out = subprocess.run(["cargo", "metadata", "--offline", "--format-version", "1"], cwd=app,
                         capture_output=True, text=True, timeout=120, env={**os.environ, **RUST_ENV})
    assert out.returncode == 0, out.stderr
    packages = {p["name"]: p for p in json.loads(out.stdout)["packages"]}
    assert Path(packages["rcrate"]["manifest_path"]).parent == (tmp_path / "lib").resolve()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None, reason="npm not installed")
def test_npm_installs_the_local_package(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "lib/package.json").write_text('{"name": "npmlib", "version": "1.0.0", "main": "index.js"}\n')
    (tmp_path / "lib/index.js").write_text("module.exports = 42;\n")
    app = _link(tmp_path, "npm",
                '{\n  "name": "npmapp",\n  "dependencies": {\n    "npmlib": "^1.0.0"\n  }\n}\n', "npmlib")
    out = subprocess.run(["npm", "install", "--offline", "--no-audit", "--no-fund"], cwd=app,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    node = subprocess.run(["node", "-e", 'console.log(require("npmlib"))'], cwd=app, capture_output=True,
                          text=True, timeout=60)
    assert node.stdout.strip() == "42"
