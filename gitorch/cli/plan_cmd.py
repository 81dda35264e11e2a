"""`git orch plan …`: validate a plan, draw its DAG, print its JSON Schema or its normalized form.

`plan validate` (a hot command) and the plan loading all of them share live in cli/lean_plan.py,
free of typer, which the lean start-up path calls too."""

from __future__ import annotations

from pathlib import Path

import typer

from gitorch.cli import lean_plan

plan_app = typer.Typer(
    name="plan", help="Validate a plan, draw its DAG, print its schema.", no_args_is_help=True,
    rich_markup_mode=None,
)

FILE_OPT = typer.Option(None, "--file", "-f", help="Plan file (default: orchestrator.yml at the repo root).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable output.")


@plan_app.command("validate")
def validate_cmd(file: Path | None = FILE_OPT, as_json: bool = JSON_OPT) -> None:
    """Check the plan and report every problem at once (exit 0 valid, 2 invalid)."""
    lean_plan.validate(file=file, as_json=as_json)


@plan_app.command("graph")
def graph_cmd(
    file: Path | None = FILE_OPT,
    fmt: str = typer.Option("mermaid", "--format", help="mermaid or dot."),
    as_json: bool = JSON_OPT,
) -> None:
    """Print the task DAG (shards included) as a Mermaid flowchart or Graphviz DOT."""
    from gitorch.cli.output import emit_json
    from gitorch.errors import UsageError
    from gitorch.plan import graph

    if fmt not in ("mermaid", "dot"):
        raise UsageError(f"unknown graph format {fmt!r}", hint="use --format mermaid or --format dot")
    loaded = lean_plan.load(file, as_json)
    plan = loaded.plan
    text = graph.to_mermaid(plan) if fmt == "mermaid" else graph.to_dot(plan)
    if as_json:
        nodes: list[dict[str, str]] = []
        for t in plan.tasks:
            nodes.append({"id": t.id, "title": t.title, "kind": "task"})
            nodes += [{"id": s.id, "title": s.title, "kind": "shard", "task": t.id} for s in t.shards]
        emit_json({
            "format": fmt, "text": text, "order": graph.order(plan), "nodes": nodes,
            "edges": [[d, t.id] for t in plan.tasks for d in t.dependencies],
        })
        return
    typer.echo(text, nl=False)


@plan_app.command("schema")
def schema_cmd(as_json: bool = JSON_OPT) -> None:
    """Print the JSON Schema of the plan format (for editors: completion and checking)."""
    import json

    from gitorch.plan.schema import plan_schema

    typer.echo(json.dumps(plan_schema(), indent=None if as_json else 2))


@plan_app.command("show")
def show_cmd(file: Path | None = FILE_OPT, as_json: bool = JSON_OPT) -> None:
    """Print the normalized plan (acceptance parsed, shorthands expanded) and its digest."""
    from gitorch.cli.output import emit_json, say
    from gitorch.plan import graph

    loaded = lean_plan.load(file, as_json)
    plan = loaded.plan
    if as_json:
        emit_json({"file": lean_plan.display_name(loaded), "digest": loaded.digest, "plan": plan})
        return
    results = _check_results()
    say(f"{lean_plan.display_name(loaded)}  digest {loaded.digest[:12]}  root {loaded.root}")
    for n, generation in enumerate(graph.order(plan), 1):
        for tid in generation:
            task = plan.task(tid)
            gates = plan.gates_for(task)
            words = [f"[{task.type}]", task.title,
                     f"(after {', '.join(task.dependencies)})" if task.dependencies else "",
                     f"(gates {', '.join(gates)})" if gates else ""]
            say(f"{n:>3}  {tid}  " + " ".join(w for w in words if w))
            for check in task.acceptance:
                say(f"       {_check_line(check.label, results.get((tid, check.label)))}")
            for shard in task.shards:
                say(f"       · {shard.id}" + (f" {shard.title}" if shard.title else ""))


_CHECK_MARKS = {"passed": ("✓", "green"), "failed": ("✗", "red")}


def _check_line(label: str, result: str | None) -> str:
    """`✓ label` when it passed last time, `✗ label (failed)`, `○ label (not run)` when it never ran."""
    from gitorch.cli.output import paint

    if result is None:
        return f"○ {label} (not run)"
    mark, color = _CHECK_MARKS[result]
    return paint(f"{mark} {label}" + ("" if result == "passed" else f" ({result})"), color)


def _check_results() -> dict[tuple[str, str], str]:
    """The latest outcome of each (task, check) recorded on the state branch; empty without one."""
    from gitorch.context import build_context
    from gitorch.errors import OrchError

    store = build_context().store
    try:
        if not store.exists():
            return {}
        found = store.events(types=["acceptance_passed", "acceptance_failed"])
    except OrchError:
        return {}
    finally:
        store.close()
    return {(e.task or "", getattr(e, "check", "")): "passed" if type(e).__name__ == "AcceptancePassed"
            else "failed" for e in found}


def register(app: typer.Typer) -> None:
    """Add the `plan` group to the root app."""
    from gitorch.cli.migrate_cmd import plan_import_command  # issue 19: lives beside `migrate`

    if not any(c.name == "import" for c in plan_app.registered_commands):
        plan_app.command("import")(plan_import_command)
    app.add_typer(plan_app, name="plan")

