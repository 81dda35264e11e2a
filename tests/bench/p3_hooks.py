"""P3: what gitorch's post-checkout hook adds to a branch checkout, (a) 2,000 files and 40
tasks, (b) 10,000 files and 1,000 tasks, each with a real state branch (made by `git orch
run`); beside no hook, an `exit 0` hook and pre-commit (a post-checkout hook running `true`).
Also a file checkout (`git checkout -- FILE`, flag 0) in (a), measured in gitorch's own
repository with its hook, an `exit 0` hook or none put in place between the processes
(HookSwap): the sides differ in the hook only. Goals: <= +25 ms to a branch checkout in
both, <= +2 ms to a file checkout.

The hook keeps what it found per HEAD commit (gitorch/hooks/stalecache.py), so switching
back and forth between two branches (the rounds here, as for a user) reads its answers back
after the first visit; "gitorch, first visit" is the same checkout with the kept answers
removed before each one (outside the time), what the first checkout of a commit costs.

The repositories are packed (as a clone is) and live in /dev/shm when it exists: disk
writeback of the checked-out files otherwise swamps the milliseconds a hook adds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from measure import Figure, added, bench_env, git_repo, interleave, sh, timed, tree_of, which

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


def template(base: Path, files: int, tasks: int, env: dict[str, str]) -> Path:
    """`files` files in `tasks` folders, a plan of one task per folder, run once; branch
    `other` changes a tenth of the files."""
    tree = tree_of(files, tasks)
    dirs = sorted({p.split("/")[0] for p in tree})
    plan = {"version": 1, "tasks": [{"id": f"task-{d}", "paths": {"preferred": [f"{d}/"]},
                                     "commands": {"t": "true"}} for d in dirs]}
    tree["orchestrator.json"] = json.dumps(plan)
    tree[".pre-commit-config.yaml"] = PRE_COMMIT_CONFIG
    repo = git_repo(base / "template", tree)
    sh(["git", "checkout", "-q", "-b", "other"], repo, env)
    for i, rel in enumerate(sorted(tree)):
        if rel.startswith("d") and i % 10 == 0:
            (repo / rel).write_text(f"changed {i}\n")
    sh(["git", "commit", "-q", "-am", "other"], repo, env)
    sh(["git", "checkout", "-q", "main"], repo, env)
    sh(["git", "orch", "run", "-j2"], repo, env)  # the real state branch: watch.json of every task
    sh(["git", "repack", "-adq"], repo, env)  # packed, as a clone is (loose objects read slower)
    return repo


FIRST = "gitorch, first visit"


def forget(repo: Path, index: bool = False) -> None:
    """Remove the answers the hook kept (and the kept index: as right after a run)."""
    shutil.rmtree(repo / ".git" / "orch" / "hook-stale", ignore_errors=True)
    if index:
        (repo / ".git" / "orch" / "hook-index").unlink(missing_ok=True)


def setups(base: Path, repo: Path, env: dict[str, str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name in ("no hook", "exit 0 hook", "pre-commit", "gitorch", FIRST):
        out[name] = base / name.replace(" ", "-")
        shutil.copytree(repo, out[name], symlinks=True)
    hook = out["exit 0 hook"] / ".git" / "hooks" / "post-checkout"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o755)
    pre_commit = which("pre-commit")
    if pre_commit:
        sh([pre_commit, "install", "--hook-type", "post-checkout"], out["pre-commit"], env)
    else:
        print("  pre-commit not installed (make bench installs it): left out")
        del out["pre-commit"]
    sh(["git", "orch", "hooks", "install"], out["gitorch"], env)
    sh(["git", "orch", "hooks", "install"], out[FIRST], env)
    for repo in out.values():  # pre-commit builds its environment once, before timing
        sh(["git", "checkout", "-q", "other"], repo, env)
        sh(["git", "checkout", "-q", "main"], repo, env)
    return out


def branch_checkout(repo: Path, env: dict[str, str], first: bool = False) -> Callable[[], float]:
    state = {"on": "main"}

    def once() -> float:
        state["on"] = "other" if state["on"] == "main" else "main"
        if first:
            forget(repo)
        return timed(["git", "checkout", "-q", state["on"]], repo, env)

    return once


def edited(repo: Path) -> str:
    """The file a file checkout restores (the first of the first folder)."""
    target = sorted(p for p in os.listdir(repo) if p.startswith("d"))[0]
    return f"{target}/{sorted(os.listdir(repo / target))[0]}"


class HookSwap:
    """One repository (gitorch's side, with its hooks installed and the state its branch
    checkouts left), whose post-checkout hook is put in place by a rename between the
    measured processes: the sides of the file checkout differ in the hook and nothing else
    (same index, same files, same refs, same folder; two copies of a repository are not
    equal below git: the directory entries, the pages the kernel holds, the time the index
    was last written). gitorch's other hooks stay installed on every side: git runs none of
    them on a file checkout (GIT_TRACE2_PERF shows the post-checkout region only)."""

    def __init__(self, repo: Path, exit0: Path) -> None:
        self.live = repo / ".git" / "hooks" / "post-checkout"
        self.aside = repo / ".git" / "bench-hooks"
        self.aside.mkdir(exist_ok=True)
        os.rename(self.live, self.aside / "gitorch")
        shutil.copy2(exit0, self.aside / "exit 0 hook")
        self.current = "no hook"

    def use(self, name: str) -> None:
        if name == self.current:
            return
        if self.current != "no hook":
            os.rename(self.live, self.aside / self.current)
        if name != "no hook":
            os.rename(self.aside / name, self.live)
        self.current = name

    def close(self) -> None:
        self.use("gitorch")
        shutil.rmtree(self.aside)


def file_checkouts(repos: dict[str, Path], rounds: int, env: dict[str, str]) -> list[Figure]:
    """`git checkout -- FILE` after editing FILE, in gitorch's repository with its hook, with
    an `exit 0` hook and with none (HookSwap); the order turns every round (no side always
    first after the bench's own work). Also the CPU time (user + system of git and its hook),
    which the machine's load changes much less than the wall time.

    The rounds start a second after the last branch checkout wrote the index: until then
    git (without USE_NSEC: racy by the second) reads and hashes again, at every index
    write, the ~200 files that checkout wrote in that second (+3 ms). When each side was
    its own repository, gitorch's had been checked out last, just before these rounds, and
    paid it in most rounds; the others, ~0.5 s earlier, in the discarded warm-up only."""
    swap = HookSwap(repos["gitorch"], repos["exit 0 hook"] / ".git" / "hooks" / "post-checkout")
    repo = repos["gitorch"]
    rel = edited(repo)
    written = os.stat(repo / ".git" / "index").st_mtime
    time.sleep(max(0.0, written + 1.05 - time.time()))  # a user edits a file seconds later
    names = ["gitorch", "no hook", "exit 0 hook"]
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    try:
        for n in range(1 + rounds):  # round 0: warm-up, discarded
            for name in names[n % 3:] + names[:n % 3]:
                swap.use(name)
                (repo / rel).write_text(f"edit {n} {name}\n")
                used: list[float] = []
                took = timed(["git", "checkout", "-q", "--", rel], repo, env, cpu=used)
                if n:
                    wall[name].append(took)
                    cpu[name].append(used[0])
    finally:
        swap.close()
    note = "file checkout, one repository, the hook swapped"
    return [added("P3", wall, "gitorch", "no hook", "<= +2 ms", 2.0, note=note),
            added("P3", wall, "exit 0 hook", "no hook", "", None, note=note + ": any hook's floor"),
            added("P3", wall, "gitorch", "exit 0 hook", "", None, note=note + ": the hook alone"),
            added("P3", cpu, "gitorch", "no hook", "", None, note="file checkout, CPU time"),
            added("P3", cpu, "exit 0 hook", "no hook", "", None, note="file checkout, CPU time")]


def scenario(label: str, files: int, tasks: int, rounds: int, env: dict[str, str]) -> list[Figure]:
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    base = Path(tempfile.mkdtemp(prefix="bench-p3-", dir=shm))
    repos = setups(base, template(base, files, tasks, env), env)
    print(f"P3({label}) branch checkout, {files:,} files, {tasks:,} tasks ({rounds * 2} rounds)",
          flush=True)
    s = interleave({n: branch_checkout(r, env, n == FIRST) for n, r in repos.items()}, rounds * 2)
    goal = "<= +25 ms"
    out = [added(f"P3{label}", s, "gitorch", "no hook", goal, 25.0)]
    out += [added(f"P3{label}", s, p, "no hook", "", None) for p in repos if p not in ("gitorch", "no hook")]
    if label == "a":
        out += file_checkouts(repos, rounds * 4, env)  # ~10 ms a process: more rounds, less noise
    out += hook_alone(label, repos, rounds, env)
    shutil.rmtree(base, ignore_errors=True)
    return out


def hook_alone(label: str, repos: dict[str, Path], rounds: int, env: dict[str, str]) -> list[Figure]:
    """The post-checkout hook as git runs it after `git checkout other`, without the checkout
    around it (less noise), beside the `exit 0` hook; and the floor any Python hook pays:
    `python -I -S -c pass`, the interpreter start gitorch's hook makes. Also the hook's first
    visit of that commit (no kept answer), and right after a run (no kept index either)."""
    repo = repos["gitorch"]
    old, new = (sh(["git", "rev-parse", b], repo, env).strip() for b in ("main", "other"))
    sh(["git", "checkout", "-q", "other"], repo, env)
    hook = str(repo / ".git" / "hooks" / "post-checkout")
    exit0 = str(repos["exit 0 hook"] / ".git" / "hooks" / "post-checkout")
    def first(index: bool) -> float:
        forget(repo, index)
        return timed([hook, old, new, "1"], repo, env)

    s = interleave({"gitorch hook": lambda: timed([hook, old, new, "1"], repo, env),
                    "first visit": lambda: first(False),
                    "after a run": lambda: first(True),
                    "exit 0 hook": lambda: timed([exit0, old, new, "1"], repo, env),
                    "python start": lambda: timed([sys.executable, "-I", "-S", "-c", "pass"], repo, env)},
                   rounds * 2)
    sh(["git", "checkout", "-q", "main"], repo, env)
    return [added(f"P3{label}", s, "gitorch hook", "exit 0 hook", "", None, note="the hook alone"),
            added(f"P3{label}", s, "first visit", "exit 0 hook", "", None,
                  note="the hook alone, no kept answer"),
            added(f"P3{label}", s, "after a run", "exit 0 hook", "", None,
                  note="the hook alone, no kept answer nor index"),
            added(f"P3{label}", s, "python start", "exit 0 hook", "", None, note="floor: interpreter start")]


def main(rounds: int) -> list[Figure]:
    env = bench_env({"GIT_CONFIG_PARAMETERS": "'advice.detachedhead'='false'"})
    return scenario("a", 2000, 40, rounds, env) + scenario("b", 10_000, 1000, rounds, env)
