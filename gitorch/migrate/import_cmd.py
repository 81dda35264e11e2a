"""`git orch plan import`: read a workflow.yaml as data, convert it, validate the result
with gitorch's own loader, and write it only when it is valid."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from gitorch.errors import UsageError
from gitorch.migrate.workflow_plan import Imported, convert, looks_like_workflow


def read_workflow(source: Path) -> Any:
    """The YAML document of `source` (safe loader: data only), or a located UsageError."""
    import yaml

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{source}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        doc = yaml.safe_load(text)
    except RecursionError:
        raise UsageError(f"{source}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise UsageError(f"{source}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not looks_like_workflow(doc):
        raise UsageError(f"{source}: not a workflow-orchestrator workflow (no `phases` list at the top "
                         "or under `workflow:`)", hint="`git orch plan validate` checks a gitorch plan")
    return doc


def render(result: Imported, source: Path, doc: dict[str, Any]) -> str:
    """The plan as YAML, headed by comments saying where it came from and what did not map."""
    import yaml

    nested = doc.get("workflow")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else doc
    head = [f"# Imported by `git orch plan import` from {source.name} "
            f"(workflow-orchestrator, {result.kind} workflow)."]
    if inner.get("version"):
        head.append(f"# Workflow version: {inner['version']}")
    for line in str(inner.get("description") or "").strip().splitlines():
        head.append(f"# {line}".rstrip())
    if result.unmapped:
        head.append("# Not mapped (with the reason):")
        head += [f"#   {u['where']}: {u['what']} ({u['why']})".replace("\n", " ") for u in result.unmapped]
    body = yaml.safe_dump(result.plan, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(head) + "\n" + body


def _validate(text: str, source: Path) -> Any:
    """Load `text` with gitorch's plan loader (in a scratch folder); a UsageError naming
    `source` and every problem when the converted plan is not valid."""
    from gitorch.errors import PlanError
    from gitorch.plan.load import load_plan

    with tempfile.TemporaryDirectory(prefix="orch-import-") as scratch:
        path = Path(scratch) / "orchestrator.yml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_plan(path).plan
        except PlanError as exc:
            problems = "; ".join(str(p.message) for p in (exc.problems or [exc]))
            raise UsageError(f"{source}: converts to a plan that is not valid: {problems}",
                             hint="fix the workflow (or convert, then edit the plan by hand)") from None


def import_workflow(source: Path, out: Path | None, *, force: bool = False) -> dict[str, Any]:
    """Convert `source`; write the plan to `out` when given. Returns what the CLI shows."""
    if out is not None and out.exists() and not force:
        raise UsageError(f"--out {out}: exists", hint="pass --force to replace it, or another path")
    if out is not None and out.exists() and out.resolve() == source.resolve():
        raise UsageError(f"--out {out}: is the workflow being imported")
    doc = read_workflow(source)
    result = convert(doc)
    text = render(result, source, doc)
    plan = _validate(text, source)
    if out is not None:
        from gitorch.atomic import write_text

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_text(out, text)
        except OSError as exc:
            raise UsageError(f"--out {out}: cannot write it ({exc.strerror or exc})") from None
    return {"source": str(source), "out": str(out) if out is not None else None, "kind": result.kind,
            "tasks": len(plan.tasks), "gates": sorted(set(result.gates)), "unmapped": result.unmapped,
            "text": text}
