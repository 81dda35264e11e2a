"""`git orch ws …`: multi-repo workspaces (snapshot, diff, plan, verify, apply, observe,
repair, teardown, and ephemeral workspaces: new, list, gc). Thin: parse, call, render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.main import TyperPath

from gitorch.cli.ws_common import (
    FROZEN,
    JSON,
    _builtins,
    _builtins_list,
    _emit,
    _workspace,
    _write_out,
    ws_app,
)


def _plan_lines(plan: Any) -> list[str]:
    lines = [f"plan {plan.id} ({plan.action}): {len(plan.operations)} operation(s), "
             f"{len(plan.preconditions)} precondition(s)"]
    for op in plan.operations:
        after = f" (after {', '.join(map(str, op.depends_on))})" if op.depends_on else ""
        lines.append(f"  {op.index}. {op.type} {op.target}{after}")
    return lines


# The snapshot's paths are handed over as text (click's path type, as typer's for a Path, but
# no pathlib.Path made): the lean start-up path does the same and the snapshot loads no pathlib (P5).
_TEXT_PATH = TyperPath(path_type=str)


@ws_app.command("snapshot")
def snapshot_cmd(
    root: str | None = typer.Option(None, "--root", click_type=_TEXT_PATH,
                                    help="Folder of repos to auto-discover "
                                    "(default: workspace.toml here, else the parent folder)."),
    out: str | None = typer.Option(None, "--out", click_type=_TEXT_PATH,
                                   help="Also write the snapshot to this file."),
    as_json: bool = JSON,
) -> None:
    """Snapshot the workspace: repos, git state, dependencies, links, topology, diagnostics."""
    from gitorch.cli.ws_snapshot import snapshot
    from gitorch.context import build_context

    snapshot(build_context(json=as_json), root, out)


@ws_app.command("diff")
def diff_cmd(as_json: bool = JSON) -> None:
    """What must change to make the workspace what workspace.toml asks (current vs desired)."""
    from gitorch.workspace.desired import desired_from
    from gitorch.workspace.diff import diff

    ws = _workspace()
    current = ws.current()
    delta = diff(current, desired_from(current, ws.manifest))
    lines = [f"+ {'/'.join(c.path)}" for c in delta.added]
    lines += [f"- {'/'.join(c.path)}" for c in delta.removed]
    lines += [f"~ {'/'.join(c.path)}" for c in delta.changed]
    _emit(as_json, delta, lines or ["no changes"])


@ws_app.command("plan")
def plan_cmd(
    out: Path | None = typer.Option(None, "--out", help="Write the plan (JSON) to this file."),
    for_: str | None = typer.Option(None, "--for", help="Plan the workspace an opportunity needs "
                                    "(owner/name#N), from discovery's requirements."),
    frozen: bool = FROZEN,
    as_json: bool = JSON,
) -> None:
    """Plan the attach: preconditions, operations and rollback (same inputs, same bytes)."""
    from gitorch.workspace.materialize import Workspace, attach_plan, record_planned

    if for_ is not None:
        from gitorch.context import build_context
        from gitorch.discovery.requirements import plan_for
        from gitorch.repo import find_repo

        repo = find_repo()
        plan, req = plan_for(build_context(repo=repo), for_)
        if out is not None:
            _write_out(out, plan.to_bytes())
        lines = [f"{for_}: repos {', '.join(req.repos)}; capabilities {', '.join(req.capabilities) or '-'}"]
        _emit(as_json, {"requirements": _builtins(req), "plan": plan}, lines + _plan_lines(plan))
        return
    ws: Workspace = _workspace()
    plan, _, _ = attach_plan(ws, frozen=frozen)
    if out is not None:
        _write_out(out, plan.to_bytes())
    record_planned(ws, plan)
    if as_json:
        import sys

        sys.stdout.buffer.write(plan.to_bytes())
        sys.stdout.flush()
        return
    _emit(False, plan, _plan_lines(plan) + ([f"written to {out}"] if out else []))


def _read_plan(path: Path) -> Any:
    from gitorch.errors import Location, WorkspaceError
    from gitorch.workspace.plan import load_plan

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"cannot read plan: {exc.strerror}", where=Location(file=str(path))) from None
    return load_plan(data, str(path))


@ws_app.command("verify")
def verify_cmd(plan_file: Path = typer.Argument(..., help="A plan written by `ws plan --out`."),
               as_json: bool = JSON) -> None:
    """Check every precondition of a plan against the disk."""
    from gitorch.workspace.materialize import verify_saved

    plan = _read_plan(plan_file)
    verify_saved(_workspace(), plan)
    _emit(as_json, {"plan": plan.id, "verified": True}, [f"plan {plan.id}: every precondition holds"])


def _outcome_lines(outcome: Any, plan: Any, dry_run: bool) -> list[str]:
    if dry_run:
        return _plan_lines(plan) + ["dry run: verified, nothing changed"]
    return [f"plan {plan.id}: {outcome.state} ({len(outcome.executed)} operation(s))"]


@ws_app.command("apply")
def apply_cmd(
    plan_file: Path | None = typer.Argument(None, help="A saved plan (default: plan the attach now)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Verify only; change nothing."),
    force: bool = typer.Option(False, "--force", help="Apply despite uncommitted changes."),
    frozen: bool = FROZEN,
    as_json: bool = JSON,
    remote: list[str] = typer.Option([], "--remote", help="ssh://[user@]host[:port]/path: apply the "
                                      "saved plan on that machine's workspace (repeatable)."),
    fleet: Path | None = typer.Option(None, "--fleet", help="A file of ssh:// URLs, one per line."),
    jobs: int = typer.Option(4, "-j", "--jobs", min=1, help="Hosts at once (with --remote/--fleet)."),
    pyz: Path | None = typer.Option(None, "--pyz", help="orch.pyz to copy (default: $GITORCH_PYZ, "
                                    "dist/orch.pyz)."),
) -> None:
    """Apply a plan under the workspace lock; on any failure roll back, last operation first."""
    from gitorch.errors import UsageError
    from gitorch.workspace.materialize import applied_link_effects, apply_workspace

    if remote or fleet is not None:
        if plan_file is None or frozen or dry_run or as_json:
            raise UsageError("--remote/--fleet apply a saved plan (PLAN.json), without --frozen, "
                             "--dry-run or --json")
        _apply_fleet(_read_plan(plan_file), remote, fleet, jobs, pyz, force)
        return
    if frozen and plan_file is not None:
        raise UsageError("--frozen plans from workspace.lock; it cannot be given with a saved plan")
    saved = _read_plan(plan_file) if plan_file is not None else None
    ws = _workspace()
    done = apply_workspace(ws, saved, dry_run=dry_run, force=force, frozen=frozen)
    lines = [line for plan, outcome in done for line in _outcome_lines(outcome, plan, dry_run)]
    plan, outcome = done[-1]
    effects = [] if dry_run else applied_link_effects(ws)
    lines += [e.describe() for e in effects]
    _emit(as_json, {"plan": plan.id, **_builtins(outcome), "links": _builtins_list(effects)}, lines)
    failed = [e for e in effects if e.state == "not_effective"]
    if failed:
        if as_json:  # the document above says so; a second one (the error) would break the JSON
            raise typer.Exit(1)
        from gitorch.errors import CheckFailed

        raise CheckFailed(f"applied, but {len(failed)} link(s) not effective (see above)",
                          hint="do what each line says, then `git orch ws observe`")


def _apply_fleet(plan: Any, remote: list[str], fleet: Path | None, jobs: int, pyz: Path | None,
                 force: bool) -> None:
    """Apply a saved plan on every host, output prefixed by host, then the table of results."""
    from gitorch.errors import CheckFailed
    from gitorch.workspace import fleet as F

    hosts = [F.parse_host(u) for u in remote] + (F.read_fleet(fleet) if fleet is not None else [])
    archive = F.find_pyz(pyz, say=lambda line: typer.echo(line))
    results = F.apply_fleet(plan, hosts, archive, jobs=jobs, force=force, out=lambda line: typer.echo(line))
    typer.echo("")
    for line in F.table(results):
        typer.echo(line)
    failed = [r.host.name for r in results if r.code != 0]
    if failed:
        raise CheckFailed(f"the plan failed on {len(failed)} of {len(results)} host(s): {', '.join(failed)}")


@ws_app.command("observe")
def observe_cmd(
    trigger: str = typer.Option("manual", "--trigger", help="What ran the observation (for the event)."),
    as_json: bool = JSON,
) -> None:
    """Compare the workspace with the last applied state and name any drift."""
    from gitorch.workspace.drift import observe

    seen = observe(_workspace(), trigger=trigger)
    found = seen.findings
    lines = [f"{f.kind}: {f.message}" for f in found] or ["no drift"]
    lines += [e.describe() for e in seen.effects if e.state != "not_effective"]
    _emit(as_json, {"drift": bool(found), "findings": [f.to_json() for f in found],
                    "snapshot": seen.snapshot.id, "links": _builtins_list(seen.effects)}, lines)
    if found:
        raise typer.Exit(1)  # drift is a finding (exit 1), so scripts can act on it


@ws_app.command("repair")
def repair_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the repair plan; change nothing."),
    force: bool = typer.Option(False, "--force", help="Repair despite uncommitted changes."),
    as_json: bool = JSON,
) -> None:
    """Plan the way back from drift to the last applied state, and apply it."""
    from gitorch.workspace.materialize import materialize
    from gitorch.workspace.repair import finish_rollback, repair_plan

    ws = _workspace()
    finished = finish_rollback(ws, dry_run=dry_run)
    if finished is not None:  # a failed rollback first: its leftovers are what is to repair
        _emit(as_json, {"rollback_finished": not dry_run, "lines": finished}, finished)
        return
    plan = repair_plan(ws)
    if dry_run:
        _emit(as_json, plan, _plan_lines(plan) + ["dry run: nothing changed"])
        return
    # Even without operations the repair commits: drift that needs no change on disk (a branch
    # switched on purpose) is accepted as the new desired state.
    outcome = materialize(ws, plan, force=force)
    lines = _outcome_lines(outcome, plan, False) if plan.operations else ["nothing to change on disk; "
                                                                          "current state recorded"]
    _emit(as_json, {"plan": plan.id, **_builtins(outcome)}, lines)


@ws_app.command("teardown")
def teardown_cmd(
    mode: str = typer.Option("detach", "--mode", help="detach | clean | preserve"),
    force: bool = typer.Option(False, "--force", help="Tear down despite uncommitted changes."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Verify only; change nothing."),
    verify: str | None = typer.Option(None, "--verify", metavar="CMD", help="Run CMD in each consumer "
                                      "first and stop if it fails (default: the manifest's "
                                      "teardown.verify); --force skips it."),
    as_json: bool = JSON,
) -> None:
    """Undo the workspace (links restored byte for byte) and check it against the base snapshot."""
    from gitorch.errors import CheckFailed
    from gitorch.workspace.teardown import teardown

    result = teardown(_workspace(), mode, force=force, dry_run=dry_run, verify=verify)
    lines = [f"teardown ({mode}): {result.get('state', 'committed')}"]
    if result.get("differences"):
        lines.append("differs from the base snapshot: " + ", ".join(result["differences"]))
    _emit(as_json, result, lines)
    if result.get("verified") is False:
        if as_json:  # the document above says so; a second one (the error) would break the JSON
            raise typer.Exit(1)
        raise CheckFailed("the workspace does not match its base snapshot: "
                          + ", ".join(result["differences"]))


@ws_app.command("freeze")
def freeze_cmd(as_json: bool = JSON) -> None:
    """Record every repo's commit (and the branch and upstream it tracks) in workspace.lock."""
    from gitorch.workspace.status import freeze_workspace

    path, changed, warnings = freeze_workspace(_workspace().manifest)
    _emit(as_json, {"lock": str(path), "changed": changed, "warnings": warnings},
          [f"{'wrote' if changed else 'unchanged:'} {path}"] + [f"warning: {w}" for w in warnings])


@ws_app.command("status")
def status_cmd(as_json: bool = JSON) -> None:
    """Each repo: branch or detached HEAD, uncommitted changes, ahead/behind, lock, links."""
    from gitorch.workspace.status import describe, workspace_status

    found = workspace_status(_workspace().manifest)
    _emit(as_json, found, [describe(s) for s in found])


@ws_app.command("gate")
def gate_cmd(as_json: bool = JSON) -> None:
    """Exit 1 unless every repo is clean, on a branch, pushed and without an active link."""
    from gitorch.errors import CheckFailed
    from gitorch.workspace.status import gate_failures

    failures = gate_failures(_workspace().manifest)
    _emit(as_json, {"ok": not failures, "failures": failures},
          ["gate: every repo is clean, on a branch, pushed, without links"] if not failures else [])
    if failures:
        if as_json:
            raise typer.Exit(1)
        raise CheckFailed("gate: the workspace is not ready:\n  " + "\n  ".join(failures),
                          hint="commit, push, and `git orch ws teardown` the links")


def register(app: typer.Typer) -> None:
    """Add `ws` to the root app (with the ephemeral-workspace commands of ws_ephemeral_cmd)."""
    from gitorch.cli import ws_ephemeral_cmd  # noqa: F401  (its commands register on ws_app)

    app.add_typer(ws_app, name="ws")
