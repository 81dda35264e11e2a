"""A first start runs gitorch straight from the archive and leaves filling the cache to a
background process; the answers are the same as from the filled cache."""

from __future__ import annotations

import fcntl
import io
import os
import platform
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git, make_repo
from tests.zipapp.conftest import ROOT, WHEELS, env_without_gitorch, run_pyz

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux" or platform.machine() != "x86_64",
                       reason="the entry's name below is the linux-x86_64 one"),
]
PLAN = "version: 1\nproject: {name: demo}\ntasks:\n  - id: a\n    commands: {x: 'true'}\n"


def _key(pyz: Path) -> str:
    build = zipfile.ZipFile(pyz).read("BUILD_ID").decode()
    return f"{build}-cp{sys.version_info[0]}{sys.version_info[1]}-linux-x86_64"


def _lock(path: Path, mode: int) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, mode)
    return fd


def _filled(cache: Path) -> None:
    for lock in (cache / "zipapp").glob(".*.lock"):
        os.close(_lock(lock, fcntl.LOCK_EX))


def test_first_start_runs_from_the_archive(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"orchestrator.yml": PLAN})
    cache = tmp_path / "cache"
    root, key = cache / "zipapp", _key(pyz)
    assert run_pyz(bare_python, pyz, "run", cwd=repo, cache=tmp_path / "other").returncode == 0
    # Another process "is filling" the entry: this start must run without it.
    fd = _lock(root / f".{key}.fill", fcntl.LOCK_EX)
    try:
        cold = run_pyz(bare_python, pyz, "status", cwd=repo, cache=cache, PYTHONDONTWRITEBYTECODE="1")
        cold_json = run_pyz(bare_python, pyz, "status", "--json", cwd=repo, cache=cache)
        assert cold.returncode == 0 and cold_json.returncode == 0, cold.stderr + cold_json.stderr
        assert _cache_names(root) == [f".{key}.{n}" for n in ("fill", "lock", "run", "so", "zip")]
    finally:
        os.close(fd)
    assert run_pyz(bare_python, pyz, "--version", cwd=repo, cache=cache).returncode == 0
    _filled(cache)
    assert (root / key / ".complete").exists()
    # what later starts need: the entry and its locks; the payload and core copies are dropped
    assert _cache_names(root) == [f".{key}.{n}" for n in ("fill", "lock", "run")] + [key]
    warm = run_pyz(bare_python, pyz, "status", cwd=repo, cache=cache)
    warm_json = run_pyz(bare_python, pyz, "status", "--json", cwd=repo, cache=cache)
    assert (cold.stdout, cold.stderr) == (warm.stdout, warm.stderr)
    assert cold_json.stdout == warm_json.stdout
    assert "a" in warm.stdout and f"{bare_python} {pyz}" not in warm.stderr
    assert git(repo, "status", "--porcelain") == ""  # nothing written in the work tree


def test_fill_clears_what_a_killed_fill_left(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    root, key = cache / "zipapp", _key(pyz)
    (root / f".tmp-{key}-killed" / "gitorch").mkdir(parents=True)
    (root / key / "gitorch").mkdir(parents=True)  # renamed into place, yet no .complete: not ours
    proc = run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache)
    assert proc.returncode == 0 and proc.stdout.startswith("gitorch "), proc.stderr
    assert proc.stderr == ""  # the background fill prints nothing
    _filled(cache)
    assert (root / key / ".complete").exists() and (root / key / "gitorch" / "cli" / "entry.py").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]
    again = run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache)
    assert again.stdout == proc.stdout


def test_shipped_bytecode_is_keyed_to_one_interpreter(pyz: Path) -> None:
    """Unchecked hash-based pycs of this interpreter, each beside its source; the bootstrap's too.
    The archive itself holds four members (every start reads its directory: P6 warm)."""
    import importlib.util

    with zipfile.ZipFile(pyz) as outer, zipfile.ZipFile(io.BytesIO(outer.read("payload.zip"))) as inner:
        assert sorted(outer.namelist()) == ["BUILD_ID", "__main__.py", "__main__.pyc", "payload.zip"]
        assert "site/gitorch/cli/entry.pyc" in inner.namelist()
        for zf in (outer, inner):
            names = set(zf.namelist())
            for name in sorted(n for n in names if n.endswith(".pyc")):
                head = zf.read(name)[:8]
                assert head == importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little"), name
                assert name[:-1] in names, name


def test_build_without_bytecode(bare_python: Path, tmp_path: Path) -> None:
    out = tmp_path / "plain.pyz"
    subprocess.run([sys.executable, str(ROOT / "zipapp" / "build.py"), "--out", str(out), "--wheels",
                    str(WHEELS), "--no-bytecode"], check=True, capture_output=True)
    outer = zipfile.ZipFile(out)
    inner = zipfile.ZipFile(io.BytesIO(outer.read("payload.zip")))
    assert not [n for n in outer.namelist() + inner.namelist() if n.endswith(".pyc")]
    proc = run_pyz(bare_python, out, "--version", cwd=tmp_path, cache=tmp_path / "cache")
    assert proc.returncode == 0 and proc.stdout.startswith("gitorch "), proc.stderr


DUMP = """import atexit, os, runpy, sys
def dump():
    site = os.environ["GITORCH_ZIPAPP_SITE"] + os.sep  # the archive's payload, written to the cache
    with open(os.environ["DUMP"], "w") as f:
        for name, m in sorted(sys.modules.items()):
            if (getattr(m, "__file__", None) or "").startswith(site):
                f.write(m.__file__[len(site):] + "\\n")
atexit.register(dump)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_first_status_compiles_nothing(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    """Every module a first `status` (and `run`) imports from the archive comes with the
    archive's bytecode: nothing is compiled from source on that start."""
    repo = make_repo(tmp_path / "repo", {"orchestrator.yml": PLAN})
    for n, args in enumerate((["run"], ["status"])):
        dump = tmp_path / f"modules-{n}.txt"
        proc = run_pyz(bare_python, Path("-c"), DUMP, str(pyz), *args, cwd=repo, cache=tmp_path / f"c{n}",
                       DUMP=str(dump))
        assert proc.returncode == 0, proc.stderr
        files = dump.read_text().split()
        assert "gitorch/cli/entry.pyc" in files
        assert [f for f in files if not f.endswith(".pyc")] == []


def test_hooks_installed_by_a_first_start_use_the_cache(pyz: Path, bare_python: Path, tmp_path: Path) -> None:
    """The hook records the cache entry (filled after the command), not the archive's site/."""
    repo = make_repo(tmp_path / "repo")
    cache = tmp_path / "cache"
    root, key = cache / "zipapp", _key(pyz)
    fd = _lock(root / f".{key}.fill", fcntl.LOCK_EX)
    try:
        proc = run_pyz(bare_python, pyz, "hooks", "install", cwd=repo, cache=cache)
        assert proc.returncode == 0, proc.stderr
        assert not (root / key).exists()  # it ran from the archive
    finally:
        os.close(fd)
    hook = (repo / ".git" / "hooks" / "post-checkout").read_text()
    assert f"GITORCH_PATH={root / key}\n" in hook and f"GITORCH_PYZ={pyz}\n" in hook


@pytest.mark.parametrize("damage", ["empty", "cut"])
def test_a_damaged_payload_is_written_again(pyz: Path, bare_python: Path, tmp_path: Path,
                                            damage: str) -> None:
    """What a crash can leave in the cache (renamed before its data reached the disk): an empty
    or cut payload copy, a cut msgspec core. A start writes them again from the archive and runs."""
    repo = make_repo(tmp_path / "repo", {"orchestrator.yml": PLAN})
    cache = tmp_path / "cache"
    root, key = cache / "zipapp", _key(pyz)
    payload = zipfile.ZipFile(pyz).read("payload.zip")
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        tag = f"native/cp{sys.version_info[0]}{sys.version_info[1]}-linux-x86_64/msgspec/_core"
        core = zf.read(next(n for n in zf.namelist() if n.startswith(tag) and n.endswith(".so")))
    root.mkdir(parents=True)
    (root / f".{key}.zip").write_bytes(b"" if damage == "empty" else payload[: len(payload) // 2])
    (root / f".{key}.so").write_bytes(core[: len(core) // 2])
    fd = _lock(root / f".{key}.fill", fcntl.LOCK_EX)  # no fill meanwhile: each start is from the payload
    try:
        for args in (("--version",), ("status",)):
            done = run_pyz(bare_python, pyz, *args, cwd=repo, cache=cache)
            assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert (root / f".{key}.zip").read_bytes() == payload
        assert (root / f".{key}.so").read_bytes() == core
    finally:
        os.close(fd)


def _cache_names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_a_start_from_the_payload_keeps_it_until_it_ends(pyz: Path, bare_python: Path,
                                                          tmp_path: Path) -> None:
    """The payload and core copies are dropped once the entry is complete, but never under a start
    that runs from them (it imports from the payload as it goes): a run from the payload waits
    in its task while another first start's fill completes the entry and a warm start follows;
    the run then ends well (its late imports found), and the next start drops them."""
    go = tmp_path / "go"
    plan = PLAN.replace("'true'", f"'while [ ! -e {go} ]; do sleep 0.05; done'")
    repo = make_repo(tmp_path / "repo", {"orchestrator.yml": plan})
    cache = tmp_path / "cache"
    root, key = cache / "zipapp", _key(pyz)
    running = subprocess.Popen([str(bare_python), str(pyz), "run"], cwd=repo, env=env_without_gitorch(cache),
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _until(lambda: (root / f".{key}.zip").exists(), running)  # it holds the payload's lock by then
        assert run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache).returncode == 0
        _until(lambda: (root / key / ".complete").exists(), running)  # that start's fill
        # ... and its try to drop them: the fill holds its lock until that try is done
        _until(lambda: _free(root / f".{key}.fill"), running)
        assert run_pyz(bare_python, pyz, "--version", cwd=tmp_path, cache=cache).returncode == 0  # warm
        assert {f".{key}.zip", f".{key}.so"} <= set(_cache_names(root)), "dropped under a running start"
        go.touch()
        _, err = running.communicate(timeout=120)
    finally:
        go.touch()
        if running.poll() is None:
            running.kill()
            running.communicate()
    assert running.returncode == 0 and "Traceback" not in err, err
    _filled(cache)
    assert run_pyz(bare_python, pyz, "status", cwd=repo, cache=cache).returncode == 0  # warm: drops them
    assert _cache_names(root) == [f".{key}.{n}" for n in ("fill", "lock", "run")] + [key]


def _until(done: Callable[[], bool], running: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _free(lock: Path) -> bool:
    """Whether no process holds `lock`."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
