"""The bootstrap: old interpreters, its own name in hints, the cache (pruning, bytecode, hooks)."""

from __future__ import annotations

import ast
import fcntl
import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import git, make_repo
from tests.zipapp.conftest import ROOT, env_without_gitorch, run_pyz

pytestmark = pytest.mark.slow
PYENV = Path("/root/.pyenv/versions")
OLD = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10"]


def _old_python(version: str) -> Path | None:
    if not PYENV.is_dir():
        return None
    for d in sorted(PYENV.iterdir()):
        exe = d / "bin" / f"python{version}"
        if d.name.startswith(version + ".") and exe.exists():
            return exe
    return None


def test_bootstrap_has_no_syntax_newer_than_python_2() -> None:
    """Checked on any machine: no f-strings, annotations, walrus or `nonlocal` in the bootstrap
    (ast cannot parse with a 2.7 grammar; the interpreters below do where they exist)."""
    tree = ast.parse((ROOT / "zipapp" / "bootstrap.py").read_text(), feature_version=(3, 4))
    for node in ast.walk(tree):
        assert not isinstance(node, ast.JoinedStr | ast.AnnAssign | ast.NamedExpr | ast.Nonlocal), node
        if isinstance(node, ast.FunctionDef):
            assert node.returns is None and not any(a.annotation for a in node.args.args), node.name


@pytest.mark.parametrize("version", OLD)
def test_old_interpreters_get_one_line(pyz: Path, tmp_path: Path, version: str) -> None:
    python = _old_python(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this machine")
    proc = run_pyz(python, pyz, "status", cwd=tmp_path, cache=tmp_path / "cache")
    assert proc.returncode == 2
    assert proc.stderr == f"orch.pyz: gitorch needs Python 3.11 or newer (this is {version})\n"
    assert not (tmp_path / "cache").exists()


def test_usage_and_hints_name_the_archive(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"orchestrator.yml": (
        "version: 1\nproject: {name: demo}\ntasks:\n  - id: a\n    commands: {x: 'true'}\n")})
    cache = tmp_path / "cache"
    me = f"{bare_python} {pyz}"
    proc = run_pyz(bare_python, pyz, cwd=repo, cache=cache)
    assert f"Usage: {me} [OPTIONS] COMMAND" in " ".join((proc.stdout + proc.stderr).split())
    proc = run_pyz(bare_python, pyz, "resume", cwd=repo, cache=cache)
    assert proc.returncode != 0
    assert f"`{me} run`" in proc.stderr and "git orch" not in proc.stderr
    proc = run_pyz(bare_python, pyz, "status", cwd=repo, cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert "git orch" not in proc.stdout and f"`{me} run`" in proc.stdout


def _with_build_id(pyz: Path, out: Path, build_id: str) -> Path:
    """A copy of `pyz` that says it is another build (an older orch.pyz, for the cache)."""
    with zipfile.ZipFile(pyz) as src, zipfile.ZipFile(out, "w") as dst:
        old = src.read("BUILD_ID").decode()
        for info in src.infolist():
            data = src.read(info)
            if info.filename in ("__main__.py", "__main__.pyc", "BUILD_ID"):
                data = data.replace(old.encode(), build_id.encode())
            dst.writestr(info, data)
    return out


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in (cache / "zipapp").iterdir())


def _filled(cache: Path, pattern: str = ".*.lock") -> None:
    """Wait until the background fills that first starts left behind have finished."""
    for lock in (cache / "zipapp").glob(pattern):
        _wait_unlocked(lock)


def test_cache_keeps_only_the_current_build(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = _with_build_id(pyz, tmp_path / "old.pyz", "0" * 16)
    assert run_pyz(bare_python, old, "--version", cwd=tmp_path, cache=cache).returncode == 0
    _filled(cache)
    [old_entry] = [n for n in _entries(cache) if not n.startswith(".")]
    # the filled entry and its locks; the payload and core copies went with the fill
    assert set(_entries(cache)) == {old_entry, *(f".{old_entry}.{lock}" for lock in ("fill", "lock", "run"))}
    # A process still running the old build holds its shared lock: its entry stays.
    fd = os.open(cache / "zipapp" / f".{old_entry}.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        assert run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache).returncode == 0
        _filled(cache, f".{zipfile.ZipFile(pyz).read('BUILD_ID').decode()}-*.lock")  # its fill prunes
        assert old_entry in _entries(cache)
    finally:
        os.close(fd)
    # Once nobody uses it, the next start removes it, its core, and its lock files.
    assert run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache).returncode == 0
    left = _entries(cache)
    assert not [n for n in left if "0" * 16 in n], left
    new_id = zipfile.ZipFile(pyz).read("BUILD_ID").decode()
    assert all(new_id in n for n in left), left


def _wait_unlocked(lock: Path, timeout: float = 60) -> None:
    """Wait until no process holds `lock` (the background compile holds it while it works)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(0.1)
        finally:
            os.close(fd)
    raise AssertionError("the background compile did not finish")


def test_bytecode_compiled_at_extraction(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc = run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache,
                   PYTHONDONTWRITEBYTECODE="1")
    assert proc.returncode == 0, proc.stderr
    _filled(cache)
    [entry] = [p for p in (cache / "zipapp").iterdir() if not p.name.startswith(".")]
    tag = subprocess.run([str(bare_python), "-c", "import sys; print(sys.implementation.cache_tag)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    sources = list(entry.rglob("*.py"))
    missing = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc").exists()]
    assert sources and not missing, missing[:5]


def test_hook_reextracts_when_the_cache_was_removed(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "checkout", "-q", "-b", "other")
    git(repo, "commit", "-q", "--allow-empty", "-m", "other")
    git(repo, "checkout", "-q", "main")
    cache = tmp_path / "cache"
    for args in (["init"], ["hooks", "install"]):
        proc = run_pyz(bare_python, pyz, *args, cwd=repo, cache=cache)
        assert proc.returncode == 0, proc.stderr
    hook = (repo / ".git" / "hooks" / "post-checkout").read_text()
    assert f"GITORCH_PYZ={pyz}" in hook
    for lock in (cache / "zipapp").glob(".*.lock"):
        _wait_unlocked(lock)
    subprocess.run(["rm", "-rf", str(cache)], check=True)
    checkout = subprocess.run(["git", "checkout", "-q", "other"], cwd=repo, capture_output=True, text=True,
                              env=env_without_gitorch(cache))
    assert checkout.returncode == 0
    assert "gone" not in checkout.stderr and "Traceback" not in checkout.stderr, checkout.stderr
    _filled(cache)  # the archive ran the hook and filled the cache again behind it
    assert [p for p in (cache / "zipapp").iterdir() if (p / ".complete").exists()], "not extracted again"


def test_hook_process_names_the_archive(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    """The hook starts `python -I -S` on the extracted folder with GITORCH_ZIPAPP set by the hook:
    its hints say how to run the archive, not `git orch`."""
    cache = tmp_path / "cache"
    assert run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache).returncode == 0
    _filled(cache)
    [entry] = [p for p in (cache / "zipapp").iterdir() if (p / ".complete").exists()]
    code = ("import sys; sys.path.append(sys.argv[1]); from gitorch import invocation; "
            "print(invocation.name())")
    proc = subprocess.run([str(bare_python), "-I", "-S", "-c", code, str(entry)], capture_output=True,
                          text=True, env={**env_without_gitorch(cache), "GITORCH_ZIPAPP": str(pyz)})
    assert proc.stdout.strip() == f"{bare_python} {pyz}", proc.stderr
