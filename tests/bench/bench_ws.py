"""Workspace snapshot of 20 repos beside `gita ll` and a shell loop of `git status`; and the
single-repo drift check the post-checkout hook runs (`quick_drift`).

Run: `.venv/bin/python tests/bench/run.py ws` (gita is optional: `.venv/bin/pip install gita`).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "workspace"))
sys.path.insert(0, str(HERE.parents[1]))

N_REPOS = 20
RUNS = 7


def _median(fn: Callable[[], object], runs: int = RUNS) -> float:
    fn()  # warm the page cache and git's index stat data
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def build(root: Path) -> list[Path]:
    """20 repos (the fixture's manifests, cycled) with a few files and one dirty file each."""
    from fixtures import REPOS, _commit  # type: ignore[import-not-found]

    names = list(REPOS)
    paths = []
    for i in range(N_REPOS):
        src = names[i % len(names)]
        path = root / f"{src}-{i:02d}"
        files = dict(REPOS[src])
        files.update({f"src/mod{j}.txt": f"{i} {j}\n" * 20 for j in range(30)})
        _commit(path, files)
        (path / "src/mod0.txt").write_text("dirty\n")
        paths.append(path)
    return paths


def main() -> None:
    venv_bin = Path(sys.executable).parent
    gita = shutil.which("gita", path=str(venv_bin)) or shutil.which("gita")
    tmp = Path(tempfile.mkdtemp(prefix="gitorch-bench-ws-"))
    try:
        env = dict(os.environ, XDG_CONFIG_HOME=str(tmp / "config"), GIT_CONFIG_NOSYSTEM="1",
                   PATH=f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}")
        root = tmp / "repos"
        paths = build(root)
        from gitorch.workspace import snapshot as S

        take_s = _median(lambda: S.take(root))
        cli_s = _median(lambda: _run([str(venv_bin / "git-orch"), "ws", "snapshot", "--root", str(root),
                                      "--json"], root, env))
        loop = "for d in */; do git -C \"$d\" status >/dev/null; done"
        loop_s = _median(lambda: _run(["bash", "-c", loop], root, env))
        rows = [
            ("gitorch snapshot (in-process, 20 repos)", take_s),
            ("git orch ws snapshot --json (CLI)", cli_s),
            ("bash loop: git status x20", loop_s),
        ]
        gita_s = None
        if gita:
            _run([gita, "add", *map(str, paths)], root, env)
            gita_s = _median(lambda: _run([gita, "ll"], root, env))
            rows.append(("gita ll (20 repos)", gita_s))
        else:
            print("gita not installed (`.venv/bin/pip install gita`); skipping it")
        for label, secs in rows:
            print(f"{label:<44} {secs * 1000:8.1f} ms")
        if gita_s:
            print(f"ratio snapshot/gita ll: in-process {take_s / gita_s:.2f}x, CLI {cli_s / gita_s:.2f}x")
        print(f"ratio snapshot/git-status loop: in-process {take_s / loop_s:.2f}x, CLI {cli_s / loop_s:.2f}x")

        # The hook's check on one repo: quick_drift after an attach (one link, one repo).
        hub_root = tmp / "hook"
        from fixtures import build as build_ws  # type: ignore[import-not-found]

        hub = build_ws(hub_root)
        _run([str(venv_bin / "git-orch"), "ws", "apply"], hub, env)
        from gitorch.workspace.observe import quick_drift

        assert quick_drift(hub) == []
        call_s = _median(lambda: quick_drift(hub), runs=51)
        code = ("from pathlib import Path; from gitorch.workspace.observe import quick_drift; "
                "quick_drift(Path('.'))")
        proc_s = _median(lambda: _run([sys.executable, "-c", code], hub, env), runs=15)
        bare_s = _median(lambda: _run([sys.executable, "-c", "pass"], hub, env), runs=15)
        print(f"{'quick_drift call (12-repo workspace, 6 links)':<44} {call_s * 1000:8.2f} ms")
        print(f"{'python -c quick_drift (whole process)':<44} {proc_s * 1000:8.1f} ms")
        print(f"{'python -c pass (interpreter start)':<44} {bare_s * 1000:8.1f} ms")
        print(f"quick_drift adds {(proc_s - bare_s) * 1000:.1f} ms over interpreter start")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
