"""P5: `git orch ws snapshot --json` of 20 repositories, whole process; beside `gita ll`
and `xargs -P2 git status` over the same folders. Goals: <= 0.2x gita and <= 2x xargs.

Two floors are reported beside them (no goal): the interpreter's start (with site, as
git-orch starts), and that start plus `import msgspec`, which the snapshot's model needs."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from measure import Figure, bench_env, git_repo, interleave, ratio, sh, timed, which

REPOS = 20


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
        "python + import msgspec": lambda: timed([sys.executable, "-c", "import msgspec"], root, env),
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
    out.append(ratio("P5", s, "python + import msgspec", "xargs -P2 git status", "", None,
                     note="floor: interpreter start and msgspec, which the snapshot's model needs"))
    shutil.rmtree(work, ignore_errors=True)
    return out
