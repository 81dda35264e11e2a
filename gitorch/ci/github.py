"""The plan as a GitHub Actions workflow: a `plan` job, one job per task, a `collect` job.

Every task job needs `plan` and its dependencies' jobs, and runs unless one of them failed
(`!failure() && !cancelled()`): a dependency skipped as already verified never cascades.
Permissions are none at the top, `contents: read` to plan, `contents: write` where a
result ref or the state branch is pushed. Gated jobs name an environment (its required
reviewers hold the job); only a task's declared secrets reach its job.
"""

from __future__ import annotations

from typing import Any

from gitorch.ci import model as m
from gitorch.ci.yamlout import dump

RUN_IF = "${{ !failure() && !cancelled() }}"
# The job pushes its result ref with the checkout's token: credentials must stay in the clone.
KEEP_TOKEN = "zizmor: ignore[artipacked] the job pushes its result ref with this token"


def _uses(opts: m.Options, action: str) -> str:
    sha, _tag = opts.pins[action]
    return f"{action}@{sha}"


def _setup(opts: m.Options, push: bool) -> list[dict[str, Any]]:
    checkout: dict[str, Any] = {"name": "checkout", "uses": _uses(opts, "actions/checkout"),
                                "with": {"fetch-depth": 0, "persist-credentials": push}}
    steps = [checkout]
    lines = m.install_lines(opts)
    if lines:
        lines.append(f'echo "{m.BIN_DIR}" >> "$GITHUB_PATH"')
        steps.append({"name": "install gitorch", "run": "\n".join(lines) + "\n"})
    return steps


def _task_job(spec: m.JobSpec, opts: m.Options) -> dict[str, Any]:
    job: dict[str, Any] = {"name": spec.title, "needs": ["plan", *spec.needs], "if": RUN_IF,
                           "runs-on": opts.runs_on}
    if spec.gate and not spec.gate_local:
        job["environment"] = spec.gate
    job["permissions"] = {"contents": "write"}
    steps = _setup(opts, push=True)
    *before, run = m.task_lines(spec, opts, approve=True)
    steps += [{"name": "fetch state", "run": line} for line in before[:1]]
    steps += [{"name": "wait for approval" if spec.gate_local else "record approval", "run": line}
              for line in before[1:]]
    step: dict[str, Any] = {"name": "run", "run": run}
    if spec.secrets:
        step["env"] = {name: "${{ secrets." + name + " }}" for name in spec.secrets}
    steps.append(step)
    steps.append({"name": "push result", "if": "${{ !cancelled() }}", "run": m.push_line(spec)})
    job["steps"] = steps
    return job


def render(specs: list[m.JobSpec], opts: m.Options, header: list[str]) -> str:
    """The workflow file's text."""
    jobs: dict[str, Any] = {
        "plan": {"name": "plan", "runs-on": opts.runs_on, "permissions": {"contents": "read"},
                 "steps": [*_setup(opts, push=False),
                           {"name": "validate and decide", "run": m.plan_line(opts)}]},
    }
    for spec in specs:
        jobs[spec.id] = _task_job(spec, opts)
    collect_steps = _setup(opts, push=True)
    collect_steps.append({"name": "collect", "run": m.collect_line(opts)})
    collect_steps.append({
        "name": "upload report", "if": "${{ always() }}", "uses": _uses(opts, "actions/upload-artifact"),
        "with": {"name": "orch-report", "path": f"{m.REPORT}\n{m.JUNIT}\n", "if-no-files-found": "ignore"},
    })
    jobs["collect"] = {"name": "collect", "needs": ["plan", *(s.id for s in specs)], "if": "${{ always() }}",
                       "runs-on": opts.runs_on, "permissions": {"contents": "write"}, "steps": collect_steps}
    # a push of the state branch (collect's, or a PAT's: GITHUB_TOKEN pushes start nothing)
    # must not start the workflow again
    on = {"push": {"branches-ignore": [opts.state_branch]}, "workflow_dispatch": None}
    doc = {"name": "orch", "on": on, "permissions": {}, "env": {"GITORCH_CACHE": "1"},
           "jobs": jobs}
    comments = {f"{a}@{sha}": tag for a, (sha, tag) in opts.pins.items()}
    comments["persist-credentials: true"] = KEEP_TOKEN
    return dump(doc, header, comments)
