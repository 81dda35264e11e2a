"""orch.pyz: built for real, run by an interpreter with no packages at all (venv --without-pip)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import git, make_repo
from tests.zipapp.conftest import ROOT, WHEELS, env_without_gitorch, run_pyz

pytestmark = pytest.mark.slow


def test_build_is_reproducible(tmp_path: Path) -> None:
    """Two builds of the same sources are byte-identical (built from a copy, so edits made
    meanwhile in the work tree cannot make them differ)."""
    src = tmp_path / "src"
    for part in ("gitorch", "zipapp"):
        shutil.copytree(ROOT / part, src / part, ignore=shutil.ignore_patterns("__pycache__"))
    builds = []
    for name in ("one.pyz", "two.pyz"):
        subprocess.run([sys.executable, str(src / "zipapp" / "build.py"), "--out", str(tmp_path / name),
                        "--wheels", str(WHEELS)], check=True, capture_output=True)
        builds.append((tmp_path / name).read_bytes())
    assert builds[0] == builds[1]


def test_archive_is_small(pyz: Path) -> None:
    assert pyz.stat().st_size <= 6_000_000


def test_version_and_backend_without_packages(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    proc = run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("gitorch ") and "(backend: cli)" in proc.stdout


def test_self_check(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    proc = run_pyz(bare_python, pyz, "self-check", "--json", cwd=tmp_path, cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["backend"] == "cli"
    assert report["mode"].startswith("zipapp ")
    assert report["cache"].startswith(str(tmp_path / "cache"))


def test_concurrent_first_starts(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    with ThreadPoolExecutor(4) as pool:
        procs = list(pool.map(
            lambda _: run_pyz(bare_python, pyz, "--help", cwd=tmp_path, cache=cache), range(4)
        ))
    for proc in procs:
        assert proc.returncode == 0, proc.stderr
        assert "Usage:" in proc.stdout
    for lock in (cache / "zipapp").glob(".*.lock"):  # the fills they started are done
        fd = os.open(lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.close(fd)
    extracted = [p for p in (cache / "zipapp").iterdir() if not p.name.startswith(".")]
    assert len(extracted) == 1 and (extracted[0] / ".complete").exists()
    assert not [p for p in (cache / "zipapp").iterdir() if p.name.startswith(".tmp-")]


def test_missing_native_core_is_one_clear_line(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    proc = run_pyz(
        bare_python, pyz, "--version", cwd=tmp_path, cache=tmp_path / "c", GITORCH_ZIPAPP_PLATFORM="none"
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "pip install msgspec" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("version", ["3.12", "3.13", "3.14"])
def test_other_interpreters(pyz: Path, tmp_path: Path, version: str) -> None:
    candidates = [f"/root/.pyenv/versions/{d}/bin/python{version}" for d in
                  (os.listdir("/root/.pyenv/versions") if os.path.isdir("/root/.pyenv/versions") else [])]
    found = [c for c in candidates if os.path.exists(c)]
    if not found:
        pytest.skip(f"no CPython {version} on this machine")
    proc = run_pyz(Path(found[0]), pyz, "self-check", "--json", cwd=tmp_path, cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["python"].startswith(version)


def test_real_run_and_state_readable_by_installed_package(
    pyz: Path, bare_python: Path, tmp_path: Path, orch
) -> None:
    repo = make_repo(tmp_path / "repo", {
        "src/app.py": "def main():\n    return 1\n",
        "orchestrator.yml": (
            "version: 1\n"
            "project: {name: demo}\n"
            "tasks:\n"
            "  - id: build\n"
            "    title: Build\n"
            "    commands: {compile: \"echo built > build.txt\"}\n"
            "    acceptance: [\"File exists: build.txt\"]\n"
            "  - id: check\n"
            "    dependencies: [build]\n"
            "    commands: {grep: \"grep -q built build.txt\"}\n"
            "    acceptance: [\"Contains: def main in src/app.py\"]\n"
        ),
    })
    cache = tmp_path / "cache"
    proc = run_pyz(bare_python, pyz, "plan", "validate", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stderr
    proc = run_pyz(bare_python, pyz, "run", "--all", "-j", "2", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_pyz(bare_python, pyz, "status", "--json", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "completed" in proc.stdout
    proc = run_pyz(bare_python, pyz, "events", "--json", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stderr
    zipapp_events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert any(e["type"] == "task_completed" and e["task"] == "check" for e in zipapp_events)
    # The installed package (pygit2 backend) reads the very same state.
    installed = orch("events", "--json", cwd=repo, env={"GITORCH_BACKEND": "pygit2"})
    assert installed.returncode == 0, installed.stderr
    assert {json.loads(x)["id"] for x in installed.stdout.splitlines()} == {e["id"] for e in zipapp_events}
    assert git(repo, "status", "--porcelain") == "?? build.txt"


def test_hooks_from_zipapp(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "branch", "other")
    cache = tmp_path / "cache"
    proc = run_pyz(bare_python, pyz, "hooks", "install", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stderr
    env = env_without_gitorch(cache)
    checkout = subprocess.run(["git", "checkout", "-q", "other"], cwd=repo, capture_output=True, text=True,
                              env=env)
    assert checkout.returncode == 0
    assert "Traceback" not in checkout.stderr
    assert "not found" not in checkout.stderr.lower()


def test_bytecode_is_cut_to_fit_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive stays under its limit: the hot bytecode's tail (the least needed) goes first."""
    import importlib.util
    import io
    import random

    spec = importlib.util.spec_from_file_location("zipapp_build", ROOT / "zipapp" / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)

    noise = random.Random(6)
    files = {"site/a.py": noise.randbytes(20_000)}
    extra = [(f"site/m{i}.pyc", noise.randbytes(10_000)) for i in range(5)]
    whole = len(build._zip_bytes({**files, **dict(extra)}, 9))
    monkeypatch.setattr(build, "ARCHIVE_LIMIT", whole - 15_000)  # room for all but two
    data = build._fitting(files, list(extra))
    assert len(data) + 64 <= build.ARCHIVE_LIMIT
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == ["site/a.py", "site/m0.pyc", "site/m1.pyc", "site/m2.pyc"]
