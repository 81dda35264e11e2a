"""P6: `python orch.pyz status`, cold (empty cache: extraction included) and warm, beside
the regular (non-editable, bytecode-compiled) install of the same sources, also with
PYTHONDONTWRITEBYTECODE=1. Goals: cold <= 300 ms; warm <= 1.15x installed in both
environments. Both run with the same interpreter, in a repository with one run recorded."""

from __future__ import annotations

import json
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


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p6-"))
    pyz = work / "orch.pyz"
    sh([sys.executable, str(ROOT / "zipapp" / "build.py"), "--out", str(pyz), "--wheels",
        str(ROOT / "build" / "wheels")], ROOT)
    site = install_regular(work)
    plan = {"version": 1, "tasks": [{"id": f"t{i}", "commands": {"t": "true"}} for i in range(20)]}
    repo = git_repo(work / "repo", {"orchestrator.json": json.dumps(plan)})
    sh(["git", "orch", "run", "-j2"], repo)
    cache = work / "cache"
    out = []
    for label, extra in (("bytecode", {}), ("PYTHONDONTWRITEBYTECODE=1", {"PYTHONDONTWRITEBYTECODE": "1"})):
        env = bench_env({"GITORCH_CACHE_DIR": str(cache), **extra})
        # the installed package first on sys.path; its dependencies from this venv
        inst_env = dict(env, PYTHONPATH=str(site))
        zipped = [sys.executable, "-I", str(pyz), "status"]
        installed = [sys.executable, "-c", "import sys; from gitorch.cli.entry import main; "
                     "sys.argv[0] = 'git-orch'; sys.exit(main())", "status"]

        def cold(env: dict[str, str] = env, zipped: list[str] = zipped) -> float:
            shutil.rmtree(cache, ignore_errors=True)
            return timed(zipped, repo, env)

        print(f"P6 orch.pyz status, {label} ({rounds} rounds)", flush=True)
        s = interleave({"orch.pyz cold": cold,
                        "orch.pyz warm": lambda env=env, z=zipped: timed(z, repo, env),
                        "installed": lambda e=inst_env, i=installed: timed(i, repo, e)}, rounds)
        out.append(absolute("P6", s, "orch.pyz cold", "<= 300 ms", 300.0, note=label))
        out.append(ratio("P6", s, "orch.pyz warm", "installed", "<= 1.15x", 1.15, note=label))
    shutil.rmtree(work, ignore_errors=True)
    return out
