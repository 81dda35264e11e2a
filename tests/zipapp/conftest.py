"""Fixtures for the zipapp tests: orch.pyz built once per session, a Python with no packages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "zipapp" / "build.py"
WHEELS = ROOT / "build" / "wheels"

def build_pyz(out: Path) -> Path:
    subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out), "--wheels", str(WHEELS)],
        check=True, capture_output=True,
    )
    return out


@pytest.fixture(scope="session")
def pyz(shared_pyz: Path) -> Path:
    """Built once per session for all xdist workers (tests/conftest.py); read-only."""
    return shared_pyz


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with nothing installed: a venv created --without-pip from the base interpreter."""
    env_dir = tmp_path_factory.mktemp("barevenv")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    probe = subprocess.run([str(python), "-c", "import msgspec"], capture_output=True)
    assert probe.returncode != 0, "the bare interpreter must not see any installed package"
    return python


def env_without_gitorch(cache: Path) -> dict[str, str]:
    """The environment minus GITORCH_* and the test venv's bin: `git orch` must not resolve
    to the installed package, so whatever runs is the archive."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITORCH_")}
    venv_bin = Path(sys.executable).parent.resolve()
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p).resolve() != venv_bin)
    env["GITORCH_CACHE_DIR"] = str(cache)
    return env


def run_pyz(python: Path, pyz: Path, *args: str, cwd: Path, cache: Path, **env: str):
    full = env_without_gitorch(cache)
    full.update(env)
    return subprocess.run(
        [str(python), str(pyz), *args], cwd=cwd, capture_output=True, text=True, env=full, timeout=120
    )


