"""The body of `git orch plan validate` and the plan loading the plan commands share, free of typer.

plan_cmd's typer commands declare the options and call these functions; the lean start-up
path (gitorch.cli.lean) calls `validate` with the same arguments without importing typer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitorch.errors import PlanError
    from gitorch.plan.load import LoadedPlan


def validate(file: Path | None, as_json: bool) -> None:
    """`git orch plan validate`: check the plan and report every problem at once."""
    from gitorch.cli.output import emit_json, say
    from gitorch.plan import graph

    loaded = load(file, as_json)
    plan = loaded.plan
    shards = sum(len(t.shards) for t in plan.tasks)
    edges = graph.edge_count(plan)
    chain = graph.longest_chain(plan)
    display = display_name(loaded)
    if as_json:
        emit_json({
            "valid": True, "file": display, "files": [str(f) for f in loaded.files], "root": str(loaded.root),
            "digest": loaded.digest, "tasks": len(plan.tasks), "shards": shards, "edges": edges,
            "longest_chain": chain,
        })
        return
    say(f"{display}: valid: {count_of(len(plan.tasks), 'task')}, {count_of(shards, 'shard')}, "
        f"{count_of(edges, 'edge')}, longest chain {len(chain)}"
        + (f" ({_chain_text(chain)})" if chain else ""))


def load(file: Path | None, as_json: bool) -> LoadedPlan:
    """Load the plan; on a bad plan print every problem and exit 2."""
    from gitorch.errors import PlanError
    from gitorch.plan.load import load_plan

    try:
        return load_plan(file)
    except PlanError as exc:
        _report(exc, as_json)
        raise SystemExit(exc.exit_code) from None  # as typer.Exit would end the process


def _report(exc: PlanError, as_json: bool) -> None:
    from gitorch.cli.output import emit_json, fail, warn

    if as_json:
        emit_json({"valid": False, **exc.to_json()})
        return
    file_level = [p for p in exc.problems if p.where is None or p.where.line is None]
    if not exc.problems or (len(exc.problems) == 1 and file_level):
        # about the file itself (not found, a folder, unreadable, empty): one message, no count
        fail(f"git orch: {exc.problems[0] if exc.problems else exc}")
        return
    for problem in exc.problems:
        warn(str(problem))
    count = count_of(len(exc.problems), "problem")
    where = exc.where.file if exc.where and exc.where.file else "plan"
    fail(f"git orch: plan invalid: {count} in {where}")


def _chain_text(chain: list[str], limit: int = 8) -> str:
    if len(chain) > limit:
        chain = [*chain[:3], "…", *chain[-3:]]
    return " -> ".join(chain)


def count_of(count: int, noun: str) -> str:
    """`1 task`, `3 tasks`."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def display_name(loaded: LoadedPlan) -> str:
    """The plan file as the user named it (or as found)."""
    return loaded.display or str(loaded.file)
