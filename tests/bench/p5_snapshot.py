"""P5: `git orch ws snapshot --json` of 20 repositories, whole process; beside `gita ll`
and `xargs -P2 git status` over the same folders. Goals: <= 0.2x gita and <= 2x xargs.

Floors are reported beside them (no goal): the interpreter's start (with site, as git-orch
starts); that start plus the standard library modules the snapshot's process imports (STDLIB:
exactly those, tests/workspace/test_snapshot_startup.py keeps the list true: `re` (with enum
and functools) for pip's console-script wrapper, the rest small: no pathlib, msgspec, typing,
dataclasses or json); and a Python script that does only the git work (one `git status` per repo, all started
at once with posix_spawn, as the snapshot starts them, and read back): what any Python tool
doing this snapshot costs at least."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from measure import Figure, bench_env, git_repo, interleave, ratio, sh, timed, which

REPOS = 20
# The floor "python + the git work": a stdlib-only script starting the snapshot's git status in
# every repo under the current folder at once and reading their output, nothing else.
GIT_ONLY = """import os
args = ["--no-optional-locks", "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal"]
running = []
for name in sorted(os.listdir(".")):
    if os.path.isdir(os.path.join(name, ".git")):
        r, w = os.pipe()
        pid = os.posix_spawnp("git", ["git", "-C", name, *args], os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, w, 1)])
        os.close(w)
        running.append((pid, r))
for pid, r in running:
    while os.read(r, 1 << 20):
        pass
    os.close(r)
    os.waitpid(pid, 0)
"""
# Every standard library module `ws snapshot --json` of a folder without a manifest imports
# beyond the interpreter's start (their own imports come with them).
STDLIB = "import __future__, _json, _sha256, atexit, contextvars, errno, fcntl, gc"


def build(root: Path) -> list[Path]:
    """20 repositories with 30 files and one uncommitted edit each."""
    paths = []
    for i in range(REPOS):
        files = {f"src/mod{j}.txt": f"{i} {j}\n" * 20 for j in range(30)}
        files["README.md"] = f"repo {i}\n"
        path = git_repo(root / f"repo{i:02d}", files)
        (path / "src/mod0.txt").write_text("dirty\n")
        paths.append(path)
    return paths


def main(rounds: int) -> list[Figure]:
    work = Path(tempfile.mkdtemp(prefix="bench-p5-"))
    root = work / "repos"
    paths = build(root)
    env = bench_env({"XDG_CONFIG_HOME": str(work / "config")})
    sides = {
        "gitorch": lambda: timed(["git", "orch", "ws", "snapshot", "--root", str(root), "--json"], root, env),
        "xargs -P2 git status": lambda: timed(
            ["sh", "-c", "ls -d */ | xargs -P2 -I{} git -C {} status --porcelain >/dev/null"], root, env),
        "python start": lambda: timed([sys.executable, "-c", "pass"], root, env),
        "python + stdlib imports": lambda: timed([sys.executable, "-c", STDLIB], root, env),
        "python + the git work": lambda: timed([sys.executable, "-c", GIT_ONLY], root, env),
    }
    gita = which("gita")
    if gita:
        sh([gita, "add", *map(str, paths)], root, env)
        sides["gita ll"] = lambda: timed([gita, "ll"], root, env)
    else:
        print("  gita not installed (make bench installs it): left out")
    print(f"P5 ws snapshot of {REPOS} repositories ({rounds} rounds)", flush=True)
    s = interleave(sides, rounds)
    out = []
    if gita:
        out.append(ratio("P5", s, "gitorch", "gita ll", "<= 0.2x", 0.2))
    out.append(ratio("P5", s, "gitorch", "xargs -P2 git status", "<= 2x", 2.0))
    out.append(ratio("P5", s, "python start", "xargs -P2 git status", "", None,
                     note="floor: interpreter start"))
    out.append(ratio("P5", s, "python + stdlib imports", "xargs -P2 git status", "", None,
                     note="floor: interpreter start and the stdlib modules the snapshot imports"))
    out.append(ratio("P5", s, "python + the git work", "xargs -P2 git status", "", None,
                     note="floor: interpreter start and the snapshot's git status, all at once"))
    shutil.rmtree(work, ignore_errors=True)
    return out
