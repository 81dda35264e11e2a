"""Loading a plan: find it, read it and its includes, validate everything, normalize, digest.

`load_plan()` either returns a `LoadedPlan` whose plan is valid, or raises `PlanError`
carrying every problem found, each located (file, line and column where the format gives
them, and the plan path such as `tasks[3].dependencies[0]`). A plan the plan cache holds
(plan/cache.py) is taken from it; only a miss imports the reading and checking
(plan/loader.py), so a re-run of an unchanged plan loads none of it.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.errors import Location, NotARepoError, OrchError, PlanError
from gitorch.plan import cache, graph
from gitorch.plan.gcpause import collector_paused
from gitorch.plan.loaded import LoadedPlan, display_of, plan_digest
from gitorch.repo import Repo, find_repo

__all__ = ["PLAN_NAMES", "LoadedPlan", "find_plan_file", "load_plan", "plan_digest"]

PLAN_NAMES = ("orchestrator.yml", "orchestrator.yaml", "orchestrator.json", "orchestrator.toml")


def find_plan_file(root: Path) -> Path | None:
    """The plan at `root`: orchestrator.yml, .yaml, .json or .toml, in that order of preference."""
    for name in PLAN_NAMES:
        candidate = root / name
        if candidate.exists():  # a folder by that name is reported as one, not as no plan
            return candidate
    return None


def load_plan(file: str | os.PathLike[str] | None = None, repo: Repo | None = None) -> LoadedPlan:
    """Load, validate and normalize a plan; PlanError listing every located problem otherwise."""
    with collector_paused():
        return _load(file, repo)


def _load(file: str | os.PathLike[str] | None, repo: Repo | None) -> LoadedPlan:
    main = Path(os.path.normpath(Path(file).absolute())) if file is not None else None
    base, found_repo = _base(main, repo)
    if main is None:
        found = find_plan_file(base)
        if found is None:
            where = Location(file=str(base / PLAN_NAMES[0]))
            problem = OrchError(f"no plan found at {base} (looked for {', '.join(PLAN_NAMES)})", where,
                                hint="create orchestrator.yml (see docs/plan.md) or pass --file")
            raise PlanError(problem.message, where, hint=problem.hint, problems=[problem])
        main = found
    scratch = found_repo.scratch if found_repo is not None and cache.enabled() else None
    if scratch is not None:
        hit = _cached(scratch, main, display_of(base, main))
        if hit is not None:
            return hit
    from gitorch.plan.loader import _Loader

    loader = _Loader(base)
    loaded = loader.run(main)
    if scratch is not None:
        files = [(str(d.file), d.sha256) for d in loader.docs]
        files += loader.extra_files
        entry = cache.Entry(code=cache.code_stamp(), files=files,
                            globs=loader.globs, plan=loaded.plan, digest=loaded.digest, root=str(loaded.root),
                            order=graph.order(loaded.plan), main=loader.docs[0].raw)
        cache.store(scratch, main, entry)
    return loaded


def _cached(scratch: Path, main: Path, display: str) -> LoadedPlan | None:
    try:
        data = main.read_bytes()
    except OSError:
        return None  # reading it again reports the problem properly
    entry = cache.lookup(scratch, main, data)
    if entry is None or not Path(entry.root).is_dir():
        return None
    graph.remember_order(entry.plan, entry.order)
    return LoadedPlan(plan=entry.plan, known_digest=entry.digest, file=main,
                      files=[Path(f) for f, _ in entry.files], root=Path(entry.root), display=display)


def _base(main: Path | None, repo: Repo | None) -> tuple[Path, Repo | None]:
    """The directory plan paths are relative to (the repo root), and the repo if there is one."""
    if repo is not None and repo.root is not None:
        return repo.root, repo
    start = main.parent if main is not None else Path.cwd()
    if not start.is_dir():
        return Path.cwd(), None
    try:
        found = find_repo(start)
    except NotARepoError:
        return start, None  # not in a repository: the plan's own directory stands in for it
    return (found.root, found) if found.root is not None else (start, None)

