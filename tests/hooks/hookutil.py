"""Helpers for hook tests: a state branch written with plain git plumbing, hooks run by git."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import git


def run_git(cwd: Path, *args: str, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run git as a user would (hooks fire); its output is what the user sees."""
    full = dict(os.environ)
    full.update(env or {})
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=full,
                          input=input, timeout=60)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc


def orch_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines gitorch's hooks printed (git sends hook output to stderr)."""
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("orch:")]


def head_oids(repo: Path, paths: list[str]) -> dict[str, str]:
    """path -> blob id at HEAD for every file under `paths` (what the engine records)."""
    out = git(repo, "ls-tree", "-r", "HEAD", "--", *paths)
    oids: dict[str, str] = {}
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        oids[path] = meta.split()[2]
    return oids


def write_state(repo: Path, files: dict[str, bytes], branch: str = "orch/state") -> str:
    """Commit `files` (flat names) onto `branch` with hash-object, mktree, commit-tree and
    update-ref, as the store would, without the store."""
    entries = []
    for name, data in sorted(files.items()):
        oid = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=data,
                             capture_output=True, check=True).stdout.decode().strip()
        entries.append(f"100644 blob {oid}\t{name}\n")
    tree = subprocess.run(["git", "mktree"], cwd=repo, input="".join(entries).encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    parent = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/heads/{branch}"],
                            cwd=repo, capture_output=True, text=True).stdout.strip()
    args = ["commit-tree", tree, "-m", "state"] + (["-p", parent] if parent else [])
    commit = git(repo, *args)
    git(repo, "update-ref", f"refs/heads/{branch}", commit)
    return commit


def write_watch(repo: Path, tasks: dict[str, list[str]],
                awaiting: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    """A watch.json recording each task's paths as they are at HEAD now."""
    watch = {
        "schema_version": 1,
        "tasks": {
            tid: {"paths": paths, "inputs": f"digest-{tid}", "oids": head_oids(repo, paths),
                  "run": "r-0001", "commit": git(repo, "rev-parse", "HEAD")}
            for tid, paths in tasks.items()
        },
        "awaiting": awaiting or [],
        **extra,
    }
    write_state(repo, {"watch.json": json.dumps(watch).encode()})
    return watch


def journal_events(repo: Path) -> list[dict[str, Any]]:
    """Every event line in the repository's journal."""
    jdir = repo / ".git" / "orch" / "journal"
    if not jdir.is_dir():
        return []
    return [json.loads(line) for f in sorted(jdir.iterdir()) for line in f.read_text().splitlines()
            if line.strip()]


# A plan whose tasks share a folder, name a file, a missing file, and nothing (the whole tree).
PLAN = {"version": 1, "tasks": [
    {"id": "src", "paths": {"preferred": ["src/"]}, "commands": {"t": "true"}},
    {"id": "src-again", "paths": {"preferred": ["src"]}, "commands": {"t": "true"}},
    {"id": "one-file", "paths": {"preferred": ["docs/index.md", "missing.txt"]}, "commands": {"t": "true"}},
    {"id": "whole", "commands": {"t": "true"}},
]}


def orch(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`git orch ARGS` in `repo`, this venv's gitorch first on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["git", "orch", *args], cwd=repo, capture_output=True, text=True, env=env)


def state_doc(repo: Path, name: str) -> Any:
    """The JSON file `name` on the state branch, None when it is not there."""
    proc = subprocess.run(["git", "show", f"orch/state:{name}"], cwd=repo, capture_output=True)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def by_watch_json(repo: Path) -> dict[str, list[str]]:
    """The stale tasks at HEAD as watch.json says (the slow path, no index, no cache)."""
    from gitorch.hooks import observe as ho

    watch = state_doc(repo, "watch.json")
    return ho.stale_tasks(watch["tasks"], lambda specs: ho.head_files(str(repo), specs))


def count_git(monkeypatch: Any) -> list[str]:
    """The git commands the observation starts, in order (it still runs them)."""
    from gitorch.hooks import observe as ho
    from gitorch.hooks import watchindex

    calls: list[str] = []

    def counting(real: Any) -> Any:
        def counted(args: Any, *a: Any, **k: Any) -> Any:
            calls.append(args[0] if args[0] != "--literal-pathspecs" else args[1])
            return real(args, *a, **k)
        return counted

    monkeypatch.setattr(ho, "git_quick", counting(ho.git_quick))
    monkeypatch.setattr(watchindex, "git_quick", counting(watchindex.git_quick))
    monkeypatch.setattr(watchindex, "git_start", counting(watchindex.git_start))
    return calls
