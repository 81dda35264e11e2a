"""P6: `python orch.pyz status`, cold (empty cache: extraction included) and warm, beside
the regular (non-editable, bytecode-compiled) install of the same sources, also with
PYTHONDONTWRITEBYTECODE=1. Goals: cold <= 300 ms; warm <= 1.15x installed in both
environments. Both run with the same interpreter, in a repository with one run recorded.

Cold: a cache folder never used before, each round. A first start runs gitorch from the
archive and leaves a detached process filling the cache; that fill is waited for after the
cold start is timed (not part of it), so warm is the next start on a filled cache and no fill
competes with the warm or installed rounds."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from measure import ROOT, Figure, absolute, bench_env, git_repo, interleave, ratio, sh, timed


def install_regular(work: Path) -> Path:
    """`pip install --no-deps .` into a folder of its own (a wheel build, not editable)."""
    site = work / "site"
    sh([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
        "--no-build-isolation", "--target", str(site), str(ROOT)], ROOT)
    return site


def settle(cache: Path) -> None:
    """Wait until the background fill a first start left has finished (it holds the lock)."""
    for lock in (cache / "zipapp").glob(".*.lock"):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            os.close(fd)


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p6-"))
    pyz = work / "orch.pyz"
    sh([sys.executable, str(ROOT / "zipapp" / "build.py"), "--out", str(pyz), "--wheels",
        str(ROOT / "build" / "wheels")], ROOT)
    site = install_regular(work)
    plan = {"version": 1, "tasks": [{"id": f"t{i}", "commands": {"t": "true"}} for i in range(20)]}
    repo = git_repo(work / "repo", {"orchestrator.json": json.dumps(plan)})
    sh(["git", "orch", "run", "-j2"], repo)
    out = []
    for label, extra in (("bytecode", {}), ("PYTHONDONTWRITEBYTECODE=1", {"PYTHONDONTWRITEBYTECODE": "1"})):
        env = bench_env(extra)
        # the installed package first on sys.path; its dependencies from this venv
        inst_env = dict(env, PYTHONPATH=str(site))
        zipped = [sys.executable, "-I", str(pyz), "status"]
        installed = [sys.executable, "-c", "import sys; from gitorch.cli.entry import main; "
                     "sys.argv[0] = 'git-orch'; sys.exit(main())", "status"]
        caches: list[Path] = []

        def cold(env: dict[str, str] = env, zipped: list[str] = zipped, caches: list[Path] = caches) -> float:
            cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))  # never used before
            caches.append(cache)
            took = timed(zipped, repo, dict(env, GITORCH_CACHE_DIR=str(cache)))
            settle(cache)
            return took

        def warm(env: dict[str, str] = env, zipped: list[str] = zipped, caches: list[Path] = caches) -> float:
            return timed(zipped, repo, dict(env, GITORCH_CACHE_DIR=str(caches[-1])))

        print(f"P6 orch.pyz status, {label} ({rounds} rounds)", flush=True)
        s = interleave({"orch.pyz cold": cold, "orch.pyz warm": warm,
                        "installed": lambda e=inst_env, i=installed: timed(i, repo, e)}, rounds)
        out.append(absolute("P6", s, "orch.pyz cold", "<= 300 ms", 300.0, note=label))
        # beside it, paired: what a first start costs over the installed package (load-proof)
        out.append(ratio("P6", s, "orch.pyz cold", "installed", "", None, note=label))
        out.append(ratio("P6", s, "orch.pyz warm", "installed", "<= 1.15x", 1.15, note=label))
    shutil.rmtree(work, ignore_errors=True)
    return out
