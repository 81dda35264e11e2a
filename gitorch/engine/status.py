"""`status`, `next`, `explain` and `report`: read-only views of the latest run."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what `status` needs is imported here: these commands are start-up bound, and the
# inputs, gates and history modules cost ~30 ms that `status` and `next` never use.
from gitorch.engine.setup import Loaded, load
from gitorch.errors import UsageError
from gitorch.views.fold import latest_run

if TYPE_CHECKING:
    from gitorch.context import Context
    from gitorch.views.fold import RunView


def _latest(lp: Loaded) -> RunView | None:
    return latest_run(lp.events, lp.plan)


def _legacy_notice(lp: Loaded) -> None:
    """The one-time legacy-migration notice, on stderr (never fails the command)."""
    from gitorch.migrate import show_legacy_notice

    show_legacy_notice(lp.repo)


def status(ctx: Context, *, notice: bool = False) -> dict[str, Any]:
    """The latest run: each task's state, duration, what blocks it, which gates wait.

    `notice`: also print the one-time legacy-migration notice (not with --json)."""
    lp = load(ctx, run_plan=True)
    if notice:
        _legacy_notice(lp)
    run = _latest(lp)
    deps = {t.id: list(t.dependencies) for t in lp.plan.tasks}
    out: dict[str, Any] = {"plan": lp.file, "plan_digest": lp.digest, "run": None, "tasks": []}
    states: dict[str, str] = {}
    if run is not None:
        out["run"] = {
            "id": run.id, "status": run.status, "started": run.started, "ended": run.ended,
            "duration": round(run.duration, 3), "commit": run.commit, "plan_digest": run.plan_digest,
            "plan_changed": bool(run.plan_digest and run.plan_digest != lp.digest),
        }
        states = {tid: t.state for tid, t in run.tasks.items()}
    for task in lp.plan.tasks:
        tv = run.tasks.get(task.id) if run is not None else None
        state = states.get(task.id, "pending")
        waiting_on = [d for d in deps[task.id] if states.get(d, "pending") not in ("completed", "skipped")]
        out["tasks"].append({
            "id": task.id, "title": task.title, "state": state,
            "duration": round(tv.duration, 3) if tv else 0.0,
            "reason": tv.reason if tv else "", "gate": tv.gate if tv else None,
            "blocked_by": (tv.blocked_by if tv and tv.blocked_by else []),
            "waiting_on": waiting_on if state in ("pending", "blocked") else [],
            "attempts": tv.attempts if tv else 0,
        })
    out["awaiting"] = [{"task": t, "gate": g} for t, g in (run.awaiting if run else [])]
    counts: dict[str, int] = {}
    for t in out["tasks"]:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    out["counts"] = counts
    return out


def next_tasks(ctx: Context) -> dict[str, Any]:
    """Tasks to work on next, ranked (fewest unmet dependencies, then plan order)."""
    from gitorch.engine.scheduler import rank_next

    lp = load(ctx, run_plan=True)
    run = _latest(lp)
    states = {tid: t.state for tid, t in run.tasks.items()} if run else {}
    deps = {t.id: list(t.dependencies) for t in lp.plan.tasks}
    ranked = rank_next(deps, [t.id for t in lp.plan.tasks], states)
    for item in ranked:
        item["title"] = lp.by_id[str(item["task"])].title
    return {"run": run.id if run else None, "ready": [r for r in ranked if r["ready"]],
            "later": [r for r in ranked if not r["ready"]]}


def report(ctx: Context, out: str | None = None, junit: str | None = None, *,
           notice: bool = False) -> dict[str, Any]:
    """The latest run's report (Markdown) and optionally JUnit XML, written where asked.

    `notice`: also print the one-time legacy-migration notice (not with --json)."""
    from gitorch.errors import PlanError
    from gitorch.views.report import render_junit, render_report

    warnings: list[str] = []
    try:
        lp = load(ctx, run_plan=True)
    except PlanError as exc:
        # a report is made from the events: a plan file being edited (and not loading right
        # now) does not stop it; the plan the run recorded gives the titles and shards
        recorded = _recorded_plan(ctx)
        if recorded is None:
            raise
        store, run, plan = recorded
        first = (str(exc).splitlines() or ["does not load"])[0]
        warnings.append(f"the plan file does not load ({first}); "
                        f"the report uses the plan recorded by run {run.id}")
        text = render_report(run, plan, log_reader=store.read)
        result: dict[str, Any] = {"run": run.id, "status": run.status, "report": text,
                                  "warnings": warnings}
    else:
        if notice:
            _legacy_notice(lp)
        latest = _latest(lp)
        if latest is None:
            raise UsageError("no run to report on", hint="start one with `git orch run`")
        run = latest
        text = render_report(run, lp.plan, log_reader=lp.store.read)
        result = {"run": run.id, "status": run.status, "report": text, "warnings": warnings}
        plan = lp.plan
    if out:
        _write_file(out, text, "--out")
        result["out"] = out
    if junit:
        _write_file(junit, render_junit(run, plan), "--junit")
        result["junit"] = junit
    return result


def _recorded_plan(ctx: Context) -> tuple[Any, RunView, Any] | None:
    """The store, the latest run and the plan it recorded (`plans/<digest>.json`), or None."""
    import msgspec

    from gitorch.plan.model import Plan
    store = ctx.store
    run = latest_run(store.events())
    if run is None or not run.plan_digest:
        return None
    raw = store.read(f"plans/{run.plan_digest}.json")
    if raw is None:
        return None
    try:
        plan = msgspec.json.decode(raw, type=Plan)
    except msgspec.DecodeError:
        return None
    return store, latest_run(store.events(), plan) or run, plan


def _write_file(where: str, text: str, flag: str) -> None:
    """Write a file the user asked for; its folder is created (like `mkdir -p`) when missing."""
    path = Path(where)
    if path.is_dir():
        raise UsageError(f"{flag} {where}: is a directory", hint="name a file, e.g. REPORT.md")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        tmp.replace(path)  # never a half-written report where an old one was
    except OSError as exc:
        raise UsageError(f"{flag} {where}: cannot write it ({exc.strerror or exc})") from None
