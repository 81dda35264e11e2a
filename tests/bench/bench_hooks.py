"""Time a `git checkout` with gitorch's hooks, beside no hooks, an `exit 0` hook and pre-commit.

A 2,000-file repository with two branches 200 files apart; the median of RUNS checkouts
back and forth for each setup, interleaved so machine load hits them alike. gitorch's
hooks observe a watch.json of 40 tasks (each naming a folder) and one waiting gate; a
second copy has gitorch's hooks but no state branch (nothing to observe). Also
a file checkout (`git checkout -- FILE`, post-checkout flag 0). Goals: at most 40 ms added
to a branch checkout, 10 ms to a file checkout. pre-commit (a post-checkout hook running
`true`) is the peer; it is skipped with a note when not installed
(`.venv/bin/pip install pre-commit`). Run: .venv/bin/python tests/bench/run.py hooks
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gitorch.hooks import install as hi
from gitorch.repo import find_repo

FILES = 2000
DIRS = 40
CHANGED = 200
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
PRE_COMMIT_CONFIG = """default_install_hook_types: [post-checkout]
repos:
  - repo: local
    hooks:
      - id: noop
        name: noop
        entry: "true"
        language: system
        always_run: true
        pass_filenames: false
        stages: [post-checkout]
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITORCH_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
               PRE_COMMIT_HOME=str(home / "pre-commit"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def make_repo(path: Path, env: dict[str, str]) -> None:
    """FILES files in DIRS folders on `main`; `other` changes CHANGED of them."""
    _git(path.parent, env, "init", "-q", "-b", "main", str(path))
    for i in range(FILES):
        f = path / f"d{i % DIRS:02d}" / f"f{i:04d}.txt"
        f.parent.mkdir(exist_ok=True)
        f.write_text(f"file {i}\n" * 4)
    (path / ".pre-commit-config.yaml").write_text(PRE_COMMIT_CONFIG)
    _git(path, env, "add", "-A")
    _git(path, env, "commit", "-q", "-m", "base")
    _git(path, env, "checkout", "-q", "-b", "other")
    for i in range(0, FILES, FILES // CHANGED):
        (path / f"d{i % DIRS:02d}" / f"f{i:04d}.txt").write_text(f"changed {i}\n")
    _git(path, env, "commit", "-q", "-am", "other")
    _git(path, env, "checkout", "-q", "main")


def add_state(path: Path, env: dict[str, str]) -> None:
    """A watch.json of DIRS tasks (one per folder) and one waiting gate on orch/state."""
    oids: dict[str, dict[str, str]] = {}
    for line in _git(path, env, "ls-tree", "-r", "HEAD").splitlines():
        meta, _, name = line.partition("\t")
        oids.setdefault(name.split("/")[0], {})[name] = meta.split()[2]
    watch = {"schema_version": 1, "tasks": {
        f"task-{d}": {"paths": [d], "inputs": "x", "oids": oids.get(d, {}), "run": "r-1", "commit": ""}
        for d in sorted(oids) if d.startswith("d")},
        "awaiting": [{"run": "r-0042", "task": "ship", "gate": "deploy"}]}
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=path, env=env, check=True,
                          input=json.dumps(watch).encode(), capture_output=True).stdout.decode().strip()
    tree = subprocess.run(["git", "mktree"], cwd=path, env=env, check=True, capture_output=True,
                          input=f"100644 blob {blob}\twatch.json\n".encode()).stdout.decode().strip()
    commit = _git(path, env, "commit-tree", tree, "-m", "state")
    _git(path, env, "update-ref", "refs/heads/orch/state", commit)


def setups(base: Path, home: Path, env: dict[str, str]) -> dict[str, Path]:
    """One copy of the repository per setup."""
    out: dict[str, Path] = {}
    template = base / "template"
    make_repo(template, env)

    def copy(name: str) -> Path:
        dest = base / name
        shutil.copytree(template, dest, symlinks=True)
        out[name] = dest
        return dest

    copy("no hooks")
    hook = copy("exit 0 hook") / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    repo = copy("gitorch")
    add_state(repo, env)
    # gitorch's hooks in a repository where gitorch never ran: no state branch, nothing to
    # observe (the sh part sees it and starts no Python)
    no_state = copy("gitorch, no state")
    old = os.environ.copy()
    os.environ.update(env)
    try:
        hi.install(find_repo(repo))
        hi.install(find_repo(no_state))
    finally:
        os.environ.clear()
        os.environ.update(old)
    pre_commit = shutil.which("pre-commit", path=env["PATH"])
    if pre_commit:
        repo = copy("pre-commit")
        subprocess.run([pre_commit, "install", "--hook-type", "post-checkout"], cwd=repo, env=env,
                       check=True, capture_output=True)
        subprocess.run(["git", "checkout", "-q", "other"], cwd=repo, env=env, check=True,
                       capture_output=True)  # pre-commit builds its store once, before timing
        subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, env=env, check=True,
                       capture_output=True)
    else:
        print("pre-commit: not installed, skipped (.venv/bin/pip install pre-commit)")
    return out


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms of the command and every process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}: {proc.stderr.decode()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed * 1000, cpu * 1000


Medians = dict[str, tuple[float, float, float]]


def measure(repos: dict[str, Path], env: dict[str, str], prepare: Callable[[Path, int], list[str]],
            runs: int = RUNS) -> Medians:
    """(median wall, best wall, median CPU) ms of the command `prepare(repo, i)` returns,
    runs interleaved across setups so machine load hits them alike."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in repos}
    for i in range(runs):
        for name, repo in repos.items():
            times[name].append(_timed(prepare(repo, i), repo, env))
    return {name: (statistics.median(w for w, _ in t), min(w for w, _ in t),
                   statistics.median(c for _, c in t)) for name, t in times.items()}


def _table(title: str, medians: Medians, base: str = "no hooks") -> None:
    wall0, best0, cpu0 = medians[base]
    print(f"\n{title} ({RUNS} runs; CPU = user+sys of git and everything it ran)")
    print(f"  {'setup':<18} {'median':>8} {'added':>7} {'best':>7} {'added':>7} {'CPU':>7} {'added':>7}")
    for name, (wall, best, cpu) in medians.items():
        print(f"  {name:<18} {wall:8.1f} {wall - wall0:+7.1f} {best:7.1f} {best - best0:+7.1f} "
              f"{cpu:7.1f} {cpu - cpu0:+7.1f}")


def main() -> None:
    # In memory where there is a tmpfs: disk writeback of the checked-out files otherwise
    # swamps the few milliseconds a hook adds.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="bench-hooks-", dir=shm) as tmp:
        base = Path(tmp)
        home = base / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = Bench\n\temail = b@example.org\n"
                                         "[advice]\n\tdetachedHead = false\n")
        env = _env(home)
        repos = setups(base, home, env)
        print(f"repository: {FILES} files in {DIRS} folders, branches {CHANGED} files apart, in "
              f"{tmp}; gitorch watches {DIRS} tasks; python {sys.version.split()[0]}")
        out = subprocess.run(["git", "checkout", "other"], cwd=repos["gitorch"], env=env,
                             capture_output=True, text=True)
        subprocess.run(["git", "checkout", "-q", "main"], cwd=repos["gitorch"], env=env, check=True,
                       capture_output=True)
        print("gitorch says:\n  " + "\n  ".join(
            ln for ln in out.stderr.splitlines() if ln.startswith("orch:")))

        branch = measure(repos, env, lambda repo, i: ["git", "checkout", "-q",
                                                      "other" if i % 2 == 0 else "main"])
        _table("branch checkout", branch)

        def file_checkout(repo: Path, i: int) -> list[str]:
            (repo / "d01" / "f0001.txt").write_text(f"edit {i}\n")
            return ["git", "checkout", "-q", "--", "d01/f0001.txt"]

        files = measure(repos, env, file_checkout)
        _table("file checkout", files)

        # The hook alone, as git runs it after `git checkout other` (less noise than the
        # checkout around it): the exit-0 hook stands in for "no hooks".
        old, new = (_git(repos["gitorch"], env, "rev-parse", b) for b in ("main", "other"))
        hooked = {name: repo for name, repo in repos.items() if name != "no hooks"}
        alone = measure(hooked, env, lambda repo, i: [str(repo / ".git" / "hooks" / "post-checkout"),
                                                      old, new, "1"])
        _table("the post-checkout hook alone (added: beside `exit 0`)", alone, base="exit 0 hook")

        added = branch["gitorch"][0] - branch["no hooks"][0]
        added_best = branch["gitorch"][1] - branch["no hooks"][1]
        added_file = files["gitorch"][0] - files["no hooks"][0]
        added_file_best = files["gitorch"][1] - files["no hooks"][1]
        print(f"\ngitorch adds {added:.1f} ms (median; best {added_best:.1f}) to a branch checkout "
              f"(goal <= 40) and {added_file:.1f} ms (best {added_file_best:.1f}) to a file checkout "
              f"(goal <= 10); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        quiet = branch["gitorch, no state"][0] - branch["no hooks"][0]
        print(f"without a state branch gitorch's hooks add {quiet:.1f} ms to a branch checkout")
        if "pre-commit" in branch:
            pc = branch["pre-commit"][0] - branch["no hooks"][0]
            print(f"pre-commit adds {pc:.1f} ms; gitorch's hooks cost {added / pc:.2f}x pre-commit's")


if __name__ == "__main__":
    main()
