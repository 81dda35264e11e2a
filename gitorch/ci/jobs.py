"""From a plan to CI jobs: job ids, `needs:` edges, chain grouping over a job-count limit.

Pure functions of the plan (no git, no files), so the same plan always yields the same jobs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from gitorch.errors import UsageError
from gitorch.plan.model import Plan

DEFAULT_MAX_JOBS = 150
RESERVED = frozenset({"plan", "collect"})  # the jobs every export adds
MAX_ID = 80  # GitHub allows 100; room for nothing surprising
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Job:
    """One CI job: the tasks it runs in order, and the jobs it needs."""

    id: str
    tasks: tuple[str, ...]
    needs: tuple[str, ...]


def job_id(task_id: str) -> str:
    """A job id valid on GitHub and GitLab, derived from the task id alone (deterministic).

    GitHub wants `[A-Za-z_][A-Za-z0-9_-]*`; the `t-` prefix makes a leading digit legal and
    keeps task jobs apart from `plan`, `collect` and GitLab's keywords (`stages`, `image`…).
    """
    name = "t-" + _INVALID.sub("_", task_id)
    if len(name) > MAX_ID:
        name = name[: MAX_ID - 9] + "-" + hashlib.sha256(task_id.encode()).hexdigest()[:8]
    return name


def job_ids(plan: Plan) -> dict[str, str]:
    """Task id -> job id; refuses two tasks that map to one job id (GitHub compares ids
    without case), naming both."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for task in plan.tasks:
        jid = job_id(task.id)
        key = jid.lower()
        if key in seen:
            clashes.append(f"tasks {seen[key]!r} and {task.id!r} both become job {jid!r}")
        else:
            seen[key] = task.id
        out[task.id] = jid
    if clashes:
        raise UsageError("task ids that are not valid CI job names map to the same job: "
                         + "; ".join(clashes),
                         hint="rename one of each pair ('.' and other characters become '_')")
    return out


def _chains(plan: Plan, order: list[str], alone: set[str]) -> list[list[str]]:
    """Maximal chains: a task joins its only dependency's chain when it is that task's only
    dependent. Inside a chain the tasks run one after another, so no edge is broken. Tasks
    of `alone` neither join nor are joined."""
    deps = {t.id: list(dict.fromkeys(t.dependencies)) for t in plan.tasks}
    dependents: dict[str, list[str]] = {t: [] for t in deps}
    for tid, ds in deps.items():
        for d in ds:
            dependents[d].append(tid)
    head: dict[str, str] = {}
    chains: dict[str, list[str]] = {}
    for tid in order:
        ds = deps[tid]
        if len(ds) == 1 and len(dependents[ds[0]]) == 1 and tid not in alone and ds[0] not in alone:
            h = head[tid] = head[ds[0]]
            chains[h].append(tid)
        else:
            head[tid] = tid
            chains[tid] = [tid]
    return [chains[h] for h in order if h in chains]


def _pack(units: list[list[str]], limit: int, alone: set[str]) -> list[list[str]]:
    """Contiguous runs of units (in dependency order) so about `limit` remain. Every
    dependency lies in the same group (earlier in it) or an earlier group: no cycles.
    A unit holding a task of `alone` (a gated task: one job, one environment) stays alone."""
    if len(units) <= limit:
        return units
    size = -(-len(units) // limit)
    groups: list[list[str]] = []
    current: list[str] = []
    count = 0
    for unit in units:
        if alone.intersection(unit):
            groups += [current, unit] if current else [unit]
            current, count = [], 0
            continue
        current += unit
        count += 1
        if count == size:
            groups.append(current)
            current, count = [], 0
    return groups + ([current] if current else [])


def plan_jobs(plan: Plan, order: list[str], max_jobs: int = DEFAULT_MAX_JOBS) -> list[Job]:
    """The task jobs of `plan` (`order`: dependencies first), one per task up to `max_jobs`,
    else chains of tasks, else contiguous groups of chains."""
    if max_jobs < 1:
        raise UsageError(f"--max-jobs must be at least 1 (got {max_jobs})")
    ids = job_ids(plan)
    alone = {t.id for t in plan.tasks if plan.gates_for(t)}
    units = [[t] for t in order] if len(order) <= max_jobs else \
        _pack(_chains(plan, order, alone), max_jobs, alone)
    owner: dict[str, str] = {}
    groups: list[tuple[str, list[str]]] = []
    for unit in units:
        # a group is named for its first task and size; the `g-` prefix keeps it apart from
        # every task job (`t-…`)
        jid = ids[unit[0]] if len(unit) == 1 else f"g-{ids[unit[0]][2:]}-{len(unit)}"
        groups.append((jid, unit))
        for t in unit:
            owner[t] = jid
    by_id = {t.id: t for t in plan.tasks}
    jobs: list[Job] = []
    for jid, unit in groups:
        needs = sorted({owner[d] for t in unit for d in by_id[t].dependencies if owner[d] != jid})
        jobs.append(Job(jid, tuple(unit), tuple(needs)))
    return jobs
