"""Packaging: an sdist and a wheel built offline with the declared build requirement carry the
license, URLs and classifiers; portalocker is required only where the code uses it."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _source_copy(dest: Path) -> Path:
    """The project without caches, venv, git dir or earlier build output (nothing lands in the tree)."""
    ignore = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                    ".*_cache", "node_modules")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    requirement = PYPROJECT["build-system"]["requires"]
    assert requirement == ["setuptools>=77"], requirement
    import setuptools

    major = int(setuptools.__version__.split(".")[0])
    if major < 77:
        pytest.skip(f"setuptools {setuptools.__version__} here; `pip install -e .[test]` brings >= 77")
    src = _source_copy(tmp_path_factory.mktemp("src") / "gitorch")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-build-isolation",
         "--no-deps", "--no-index", "-w", str(out), str(src)],
        check=True, capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-c", f"from setuptools import build_meta as b; b.build_sdist({str(out)!r})"],
        cwd=src, check=True, capture_output=True,
    )
    return {"wheel": next(out.glob("*.whl")), "sdist": next(out.glob("*.tar.gz"))}


def _wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(zf.read(name))


def test_wheel_metadata(built: dict[str, Path]) -> None:
    meta = _wheel_metadata(built["wheel"])
    assert meta["License-Expression"] == "MIT"
    assert meta["License-File"] == "LICENSE"
    assert meta["Author"] == "gitorch maintainers"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the expression says it
    requires = meta.get_all("Requires-Dist")
    assert 'portalocker>=2.8; sys_platform == "win32"' in requires


def test_wheel_carries_license_and_man_page(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as zf:
        names = zf.namelist()
        license_name = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
        assert zf.read(license_name).startswith(b"MIT License")
    assert any(n.endswith("data/share/man/man1/git-orch.1") for n in names)
    assert "gitorch/hooks/hook.sh" in names and "gitorch/py.typed" in names


def test_sdist_has_license_and_metadata(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as tf:
        names = tf.getnames()
        top = names[0].split("/")[0]
        assert f"{top}/LICENSE" in names and f"{top}/pyproject.toml" in names
        pkg_info = tf.extractfile(f"{top}/PKG-INFO")
        assert pkg_info is not None
        meta = email.message_from_bytes(pkg_info.read())
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("Project-URL")


def test_portalocker_only_where_it_is_used() -> None:
    """On POSIX the store locks with fcntl; nothing imports portalocker outside the win32 branch."""
    users = [p for p in (ROOT / "gitorch").rglob("*.py") if re.search(r"^\s*import portalocker",
                                                                      p.read_text(), re.MULTILINE)]
    assert [p.relative_to(ROOT).as_posix() for p in users] == ["gitorch/store/locks.py"]
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, gitorch.store.locks, gitorch.store.journal, gitorch.journalfile; "
         "print('portalocker' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )
    assert proc.stdout.strip() == "False"
