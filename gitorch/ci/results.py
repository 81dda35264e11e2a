"""A CI job's result as its own ref, `refs/orch/results/<run>/<job>`: no two jobs race.

A job starts from the remote's state branch plus the results its run has pushed so far
(`fetch_state`), runs its tasks, and pushes the tip of its local state branch as its result
ref (`push_result`). `collect` folds them all into the state branch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gitorch.cirun import CiRun
from gitorch.errors import GitError
from gitorch.gitcmd import git
from gitorch.store.state import StateStore

WATCH = "watch.json"


def remote_results(store: StateStore, remote: str, run: CiRun) -> dict[str, str]:
    """Result ref -> commit, of `run` on the remote."""
    proc = git(["ls-remote", remote, run.results_prefix() + "*"], store.repo.cwd, check=False)
    if proc.returncode != 0:
        raise GitError(f"cannot list results on '{remote}': {proc.stderr.decode(errors='replace').strip()}")
    out: dict[str, str] = {}
    for line in proc.stdout.decode().splitlines():
        oid, _, name = line.partition("\t")
        if name.startswith(run.results_prefix()):
            out[name] = oid
    return out


def fetch_results(store: StateStore, remote: str, run: CiRun) -> dict[str, str]:
    """Fetch the run's result refs (to the same names here); result ref -> commit."""
    refs = remote_results(store, remote, run)
    if refs:
        specs = [f"+{ref}:{ref}" for ref in sorted(refs)]
        git(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, *specs], store.repo.cwd)
    return refs


def fold_results(store: StateStore, commits: Iterable[str], run: CiRun) -> int:
    """Merge result commits into the local state branch (a union of immutable event
    segments), then take each task's watch.json entry from the result that ran it in this
    run (a plain merge keeps ours, which would make the next run redo the task)."""
    from gitorch.store.sync import merge_state

    watch: dict[str, object] = {}
    count = 0
    for commit in commits:
        merge_state(store, commit)
        count += 1
        theirs = _watch(store, commit)
        for task, entry in theirs.items():
            if isinstance(entry, dict) and entry.get("run") == run.id:
                watch[task] = entry
    if watch:
        raw = store.read(WATCH)
        doc: dict[str, Any] = json.loads(raw) if raw else {"schema_version": 1, "tasks": {}, "awaiting": []}
        tasks: dict[str, Any] = doc.setdefault("tasks", {})
        if any(tasks.get(t) != e for t, e in watch.items()):
            tasks.update(watch)
            text = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
            store.append([], files={WATCH: text}, message=f"orch: watch.json from the results of {run.id}")
    return count


def _watch(store: StateStore, commit: str) -> dict[str, object]:
    proc = git(["cat-file", "blob", f"{commit}:{WATCH}"], store.repo.cwd, check=False)
    if proc.returncode != 0:
        return {}
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        return {}
    tasks = doc.get("tasks") if isinstance(doc, dict) else None
    return tasks if isinstance(tasks, dict) else {}


def fetch_state(store: StateStore, remote: str, run: CiRun) -> dict[str, int]:
    """What a job does first: the remote's state branch and this run's results, merged locally."""
    from gitorch.store.sync import sync

    has_state = git(["ls-remote", "--exit-code", remote, store.ref], store.repo.cwd, check=False)
    if has_state.returncode == 0:
        sync(store, remote, push=False)
    refs = fetch_results(store, remote, run)
    from gitorch.store.cacheentries import fetch

    fetch(store.repo.cwd, remote)  # the result cache: entries are only ever added
    return {"results": fold_results(store, refs.values(), run)}


def push_result(store: StateStore, remote: str, run: CiRun, job: str) -> str:
    """Push the local state branch's tip as this job's result ref (a re-run job replaces its
    own result; no other job writes that ref). Returns the ref."""
    store.flush()
    tip = store.tip()
    if tip is None:
        raise GitError("nothing to push: the state branch does not exist (did `git orch run` start?)")
    ref = run.results_prefix() + job
    proc = git(["push", "--quiet", "--force", remote, f"{tip}:{ref}"], store.repo.cwd, check=False)
    if proc.returncode != 0:
        raise GitError(f"could not push {ref} to '{remote}': {proc.stderr.decode(errors='replace').strip()}")
    _push_cache(store, remote)
    return ref


def _push_cache(store: StateStore, remote: str) -> None:
    """The cache entries this job added, when this run may write the cache (never from a
    pull request). Without `+`: an entry on the remote is never replaced."""
    from gitorch.store.cacheentries import CACHE, may_write

    if not may_write()[0]:
        return
    if not git(["for-each-ref", "--count=1", CACHE + "/"], store.repo.cwd).stdout.strip():
        return
    git(["push", "--quiet", remote, f"{CACHE}/*:{CACHE}/*"], store.repo.cwd, check=False)
