"""The installed command: `pip install .` and `pip install -e .` (editable, as the Makefile
installs) each put a working `git-orch` on PATH, so `git orch` works, also in a venv whose
path holds a space (a `#!` line cannot: pip's console-script wrapper starts through
/bin/sh there, which a plain script with a rewritten `#!python` line did not).

Each install is real: a fresh venv (no pip of its own), the project copied out of the
work tree, pip run offline from this environment with gitorch's dependencies on a path
beside it (never this venv's own gitorch)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import make_repo
from tests.zipapp.test_packaging import _source_copy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This environment's installed packages (pip, setuptools, gitorch's dependencies) linked
    into a folder, gitorch and its editable hook left out."""
    folder = tmp_path_factory.mktemp("deps")
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.startswith(("gitorch", "__editable__")) or entry.suffix == ".pth":
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


def _venv(where: Path, deps: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = Path(subprocess.run([str(where / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_gitorch_test_deps.pth").write_text(f"{deps}\n")
    return where


def _install(venv: Path, *args: str) -> None:
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index",
                           "--no-deps", "--no-build-isolation", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _env(venv: Path) -> dict[str, str]:
    """PATH with the venv's bin first and none of this venv's (where pip's console script is)."""
    ours = str(Path(sys.executable).parent)
    rest = [p for p in os.environ["PATH"].split(os.pathsep) if p != ours]
    return {**os.environ, "PATH": os.pathsep.join([str(venv / "bin"), *rest])}


def _check_command(venv: Path, repo: Path) -> None:
    env = _env(venv)
    version = subprocess.run(["git", "orch", "--version"], capture_output=True, text=True, env=env,
                             cwd=repo)
    assert version.returncode == 0 and version.stdout.startswith("gitorch "), version.stderr
    snap = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(repo.parent), "--json"],
                          capture_output=True, text=True, env=env, cwd=repo)
    assert snap.returncode == 0 and '"name":"r"' in snap.stdout, snap.stderr
    bad = subprocess.run(["git", "orch", "ws", "snapshot", "--jsn"], capture_output=True, text=True, env=env,
                         cwd=repo)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_pip_install_regular(tmp_path: Path, deps: Path) -> None:
    src = _source_copy(tmp_path / "src")
    venv = _venv(tmp_path / "my venv", deps)
    _install(venv, str(src))
    _check_command(venv, make_repo(tmp_path / "ws" / "r"))
    assert (venv / "share" / "man" / "man1" / "git-orch.1").is_file()  # `git orch --help` opens it
    import gitorch

    proc = subprocess.run([str(venv / "bin" / "python"), "-c", "import gitorch; print(gitorch.__file__)"],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    assert Path(proc.stdout.strip()).is_relative_to(venv)  # the installed copy, not this tree's
    assert Path(gitorch.__file__).parent != Path(proc.stdout.strip()).parent


def test_pip_install_editable(tmp_path: Path, deps: Path) -> None:
    """As the Makefile installs (compat mode: a plain path in a .pth file); edits show at once."""
    src = _source_copy(tmp_path / "src")
    venv = _venv(tmp_path / "venv", deps)
    _install(venv, "-e", str(src), "--config-settings", "editable_mode=compat")
    _check_command(venv, make_repo(tmp_path / "ws" / "r"))
    init = src / "gitorch" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9'))
    proc = subprocess.run(["git", "orch", "--version"], capture_output=True, text=True, env=_env(venv))
    assert proc.stdout.startswith("gitorch 9"), proc.stdout
