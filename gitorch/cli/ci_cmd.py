"""`git orch ci …`: export the plan to a CI engine, and the commands its jobs run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from gitorch.cli.output import emit_json, say, warn

if TYPE_CHECKING:
    from gitorch.context import Context

ci_app = typer.Typer(
    name="ci", help="Run the plan's DAG on GitHub Actions or GitLab CI; results come back through git.",
    no_args_is_help=True, rich_markup_mode=None,
)

FILE_OPT = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml at the repo root).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")
REMOTE_OPT = typer.Option("origin", "--remote", help="The remote CI jobs push to.")


@ci_app.command("export")
def export_cmd(
    target: str = typer.Option(..., "--target", help="github or gitlab."),
    file: str | None = FILE_OPT,
    out: str | None = typer.Option(None, "--out", "-o",
                                   help="Where to write (default: the engine's usual file)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 when the file is not current."),
    max_jobs: int = typer.Option(150, "--max-jobs", help="Over this many tasks, chains share a job."),
    install: str = typer.Option("pyz", "--install", help="How jobs get gitorch: pyz (committed orch.pyz), "
                                                          "url (downloaded, sha256-checked), pip, or path."),
    pyz: str = typer.Option("orch.pyz", "--pyz", help="The committed zipapp (--install pyz)."),
    pyz_url: str = typer.Option("", "--pyz-url", help="Download orch.pyz from here (--install url)."),
    pyz_sha256: str = typer.Option("", "--pyz-sha256", help="Its sha256 (--install url)."),
    local_gate: list[str] = typer.Option([], "--local-gate", help="A gate approved with `git orch approve`"
                                                                   " in the state branch, not by the forge."),
    as_json: bool = JSON_OPT,
) -> None:
    """Write the plan as a CI workflow: a plan job, one job per task, a collect job."""
    from gitorch import __version__
    from gitorch.ci.export import export
    from gitorch.ci.model import INSTALLS, Options
    from gitorch.errors import UsageError

    if install not in INSTALLS:
        raise UsageError(f"--install {install!r}: use one of {', '.join(INSTALLS)}")
    opts = Options(target=target, plan_file=file, max_jobs=max_jobs, install=install,  # type: ignore[arg-type]
                   pyz=pyz, pyz_url=pyz_url, pyz_sha256=pyz_sha256, version=__version__,
                   local_gates=tuple(local_gate))
    result = export(opts, file, out, check=check)
    shown = _shown(result.path)
    if as_json:
        emit_json({"path": str(result.path), "jobs": result.jobs, "tasks": result.tasks,
                   "changed": result.changed, "diff": result.diff})
    elif check:
        if result.changed:
            warn(f"git orch: {shown} is not current with the plan "
                 f"(run `git orch ci export --target {target}`):")
            for line in result.diff:
                warn("  " + line)
        else:
            say(f"{shown} is current ({result.jobs} jobs for {result.tasks} tasks)")
    else:
        verb = "wrote" if result.changed else "unchanged:"
        say(f"{verb} {shown} ({result.jobs} jobs for {result.tasks} tasks)")
    if check and result.changed:
        raise typer.Exit(1)


def _shown(path: object) -> str:
    """`path` as the user would type it: relative to the current folder when inside it."""
    import os

    text = str(path)
    rel = os.path.relpath(text)
    return text if rel.startswith("..") else rel


cache_app = typer.Typer(
    name="cache", help="The result cache in git (refs/orch/cache): verify entries, prune old ones.",
    no_args_is_help=True, rich_markup_mode=None,
)


@cache_app.command("fetch")
def cache_fetch_cmd(remote: str = REMOTE_OPT) -> None:
    """Add the remote's cache entries here (a local run with GITORCH_CACHE=1 then uses them)."""
    from gitorch.ci.cache_admin import entries
    from gitorch.errors import UsageError
    from gitorch.store.cacheentries import fetch

    cwd = _ctx().repo.cwd
    before = len(entries(cwd))
    failed = fetch(cwd, remote)
    if failed:
        raise UsageError(f"cannot fetch cache entries from remote '{remote}': {failed}",
                         hint="name a remote of this repository: git orch cache fetch --remote NAME")
    say(f"{len(entries(cwd)) - before} new cache entries from {remote}")


@cache_app.command("verify")
def cache_verify_cmd(
    require_signed: bool = typer.Option(False, "--require-signed", help="An unsigned entry is a problem."),
    as_json: bool = JSON_OPT,
) -> None:
    """Check every entry is what its name says, and its signature (exit 1 on a problem)."""
    from gitorch.ci.cache_admin import verify

    count, problems = verify(_ctx().repo.cwd, require_signed)
    if as_json:
        emit_json({"entries": count, "problems": [vars(p) for p in problems]})
    else:
        for p in problems:
            warn(f"{p.ref}: {p.reason}")
        say(f"{count} cache entr{'y' if count == 1 else 'ies'}, {len(problems)} problem(s)")
    if problems:
        raise typer.Exit(1)


@cache_app.command("gc")
def cache_gc_cmd(
    older_than: str = typer.Option("30d", "--older-than", help="Age of entries to delete, e.g. 30d, 12h."),
    remote: str | None = typer.Option(None, "--remote", help="Delete them on this remote too."),
    as_json: bool = JSON_OPT,
) -> None:
    """Delete cache entries older than --older-than (and unreadable ones)."""
    from gitorch.ci.cache_admin import gc, parse_age

    removed = gc(_ctx().repo.cwd, parse_age(older_than), remote)
    if as_json:
        emit_json({"removed": removed})
    else:
        say(f"removed {len(removed)} cache entr{'y' if len(removed) == 1 else 'ies'}")


def register(app: typer.Typer) -> None:
    """Add the `ci` and `cache` groups to the root app."""
    app.add_typer(ci_app, name="ci")
    app.add_typer(cache_app, name="cache")


def _ctx(file: str | None = None, as_json: bool = False) -> Context:
    from gitorch.context import build_context

    return build_context(file=file, json=as_json)


@ci_app.command("plan")
def plan_cmd(file: str | None = FILE_OPT, remote: str = REMOTE_OPT, as_json: bool = JSON_OPT) -> None:
    """The first job: validate the plan and say which tasks this tree still has to run."""
    from gitorch.ci.decide import decide
    from gitorch.ci.results import fetch_state
    from gitorch.cirun import ci_run

    ctx = _ctx(file, as_json)
    ctx.plan  # noqa: B018 - an invalid plan stops here (exit 2, located)
    run = ci_run()
    if run is not None:
        fetch_state(ctx.store, remote, run)
    decisions = decide(ctx)
    if as_json:
        emit_json({"decisions": decisions})
        return
    local = {g for g, mode in ctx.plan.plan.orchestrator.approvals.ci.items() if mode == "local"}
    lines = [f"{d.action:<14} {d.task}: {d.reason}" + (
        f" (its job waits for the forge's approval of {d.gate})"
        if d.action == "await_approval" and d.gate and d.gate not in local else "")
        for d in decisions]
    for line in lines:
        say(line)
    if run is not None and run.summary:
        _append(run.summary, "## git orch: plan\n\n" + "".join(f"- `{line}`\n" for line in lines))


def _append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


@ci_app.command("fetch")
def fetch_cmd(remote: str = REMOTE_OPT) -> None:
    """In a job: merge the remote's state branch and this run's results into the local state."""
    from gitorch.ci.results import fetch_state
    from gitorch.cirun import require_ci_run

    run = require_ci_run()
    done = fetch_state(_ctx().store, remote, run)
    say(f"state from {remote}; {done['results']} result(s) of run {run.id}")


@ci_app.command("push-result")
def push_result_cmd(job: str = typer.Option(..., "--job", help="This job's id."),
                    remote: str = REMOTE_OPT) -> None:
    """In a job: push the local state as this job's result ref (refs/orch/results/<run>/<job>)."""
    from gitorch.ci.results import push_result
    from gitorch.cirun import check_job, require_ci_run

    ref = push_result(_ctx().store, remote, require_ci_run(), check_job(job))
    say(f"pushed {ref}")


@ci_app.command("approve")
def approve_cmd(gate: str = typer.Option(..., "--gate", help="The gate the job's environment held."),
                task: list[str] = typer.Option(..., "--task", "-t", help="The job's task(s)."),
                file: str | None = FILE_OPT) -> None:
    """In a GitHub job held by an environment: record its approval (who, which run)."""
    from gitorch.ci.gates import record_forge_approval
    from gitorch.cirun import require_ci_run

    given = record_forge_approval(_ctx(file), require_ci_run(), gate, task)
    for a in given:
        say(f"approved {a.gate} for {a.task} by {a.by}")


@ci_app.command("wait-approval")
def wait_approval_cmd(
    gate: str = typer.Option(..., "--gate", help="The gate approved with `git orch approve`."),
    task: list[str] = typer.Option(..., "--task", "-t", help="The job's task(s)."),
    remote: str = REMOTE_OPT,
    timeout: str = typer.Option("5h", "--timeout", help="Give up after this long (exit 3), e.g. 5h."),
    every: float = typer.Option(30.0, "--every", help="Seconds between looks at the remote's state."),
    file: str | None = FILE_OPT,
) -> None:
    """In a job of a `--local-gate` gate: wait until the state branch holds its approval."""
    from gitorch.ci.cache_admin import parse_age
    from gitorch.ci.gates import check_gate, wait_for_local_approval
    from gitorch.cirun import require_ci_run
    from gitorch.errors import EXIT_PAUSED, UsageError

    run = require_ci_run()
    seconds = parse_age(timeout, "--timeout")
    if not every > 0:
        raise UsageError(f"--every must be above 0 seconds (got {every})")
    ctx = _ctx(file)
    check_gate(ctx, gate, task)  # before saying it waits
    say(f"waiting for approval of {gate} for {', '.join(task)}: "
        f"git orch sync && git orch approve {gate} --task {task[0]} && git orch sync")
    if not wait_for_local_approval(ctx, run, remote, gate, task, seconds, every):
        warn(f"git orch: no approval of {gate} within {timeout}")
        raise typer.Exit(EXIT_PAUSED)
    say(f"{gate} approved")


@ci_app.command("collect")
def collect_cmd(
    file: str | None = FILE_OPT,
    remote: str = REMOTE_OPT,
    out: str | None = typer.Option(None, "--out", "-o", help="Also write the Markdown report here."),
    junit: str | None = typer.Option(None, "--junit", help="Also write JUnit XML here."),
    as_json: bool = JSON_OPT,
) -> None:
    """The last job: fold every result of this run into the state branch, report, exit with its status."""
    from pathlib import Path

    from gitorch.ci.collect import collect, render
    from gitorch.cirun import require_ci_run
    from gitorch.errors import UsageError

    run = require_ci_run()
    ctx = _ctx(file, as_json)
    writes = [(option, path) for option, path in (("--out", out), ("--junit", junit)) if path]
    for option, path in writes:  # before anything is folded
        if Path(path).is_dir():
            raise UsageError(f"{option} {path}: is a directory", hint="name a file")
    plan = ctx.plan.plan
    result = render(ctx.store, plan, run, collect(ctx.store, plan, remote, run))
    for option, path in writes:
        from gitorch.atomic import write_text

        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            write_text(path, result.report if option == "--out" else result.junit)
        except OSError as exc:
            raise UsageError(f"{option} {path}: cannot write it ({exc.strerror or exc})") from None
    if run.summary:
        _append(run.summary, result.report)
    if as_json:
        emit_json({"run": result.run, "status": result.status, "results": result.results,
                   "counts": result.counts, "failures": result.failures})
    else:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(result.counts.items()))
        say(f"run {result.run} {result.status}: {counts} ({result.results} result(s) collected)")
        for tid in result.failures:
            say(f"  FAILED {tid}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


# --- claims: `next --claim` and `run --claim` (run_cmd delegates here) -----------------

def next_claim(file: str | None, remote: str, ttl: float, as_json: bool) -> None:
    """Claim the top ready task on `remote`; exit 1 when nothing could be claimed."""
    from gitorch.ci.claiming import claim_context, claim_next

    ctx = claim_context(_ctx(file, as_json))
    out = claim_next(ctx, remote, ttl)
    if as_json:
        emit_json({"claimed": out.claim.to_json() if out.claim else None, "held": out.held,
                   "ready": out.ready})
    elif out.claim is not None:
        c = out.claim
        say(f"claimed {c.task} as {c.holder} until {_when(c.expires)} ({c.ref} on {remote})")
        from gitorch.invocation import name

        say(f"run it with: {name()} run --claim --remote {remote} --file {ctx.plan.display}")
    elif not out.ready:
        say("nothing is ready to claim")
    else:
        for task, holder in out.held.items():
            say(f"{task}: held by {holder}")
        say("nothing claimed: every ready task is held")
    if out.claim is None:
        raise typer.Exit(1)


def _when(epoch: float) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def run_claimed(file: str | None, as_json: bool, opts: object, remote: str,
                runner: Callable[[Context, object], None]) -> None:
    """`run --claim`: run exactly the tasks this holder claimed, renewing the claims while
    they run; then push the state (so others see the result) and release the claims."""
    from gitorch.ci.claiming import claim_context, holding, my_claims

    ctx = claim_context(_ctx(file, as_json))
    claims = my_claims(ctx, remote)
    opts.tasks = [c.task for c in claims]  # type: ignore[attr-defined]
    opts.only = True  # type: ignore[attr-defined]
    with holding(ctx, remote, claims):
        try:
            runner(ctx, opts)
        finally:
            _push_state(ctx, remote)


def _push_state(ctx: Context, remote: str) -> None:
    from gitorch.errors import OrchError
    from gitorch.store.sync import sync

    try:
        sync(ctx.store, remote)
    except OrchError as exc:
        warn(f"git orch: warning: the state was not pushed to {remote}: {str(exc).splitlines()[0]}")
