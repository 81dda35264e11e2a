"""The plan as a GitLab CI file (a child pipeline or an include): `plan`, task jobs, `collect`.

Task jobs use `needs:` for the DAG (GitLab skips a job whose need failed, and a task skipped
as already verified succeeds, so it never cascades); `collect` is in the last stage and
runs `when: always`. A gated task's job is `when: manual`. The job pushes its result even
when its task failed, then exits with the task's status.
"""

from __future__ import annotations

from typing import Any

from gitorch.ci import model as m
from gitorch.ci.yamlout import dump
from gitorch.errors import UsageError

# CI variable holding a token that may push refs (the job token may not, by default).
PUSH_TOKEN = "ORCH_PUSH_TOKEN"
PUSH_URL = (f'if [ -n "${{{PUSH_TOKEN}:-}}" ]; then git remote set-url --push origin '
            f'"https://oauth2:${{{PUSH_TOKEN}}}@${{CI_SERVER_HOST}}/${{CI_PROJECT_PATH}}.git"; fi')


MAX_NEEDS = 50  # GitLab's default limit of `needs:` per job


def _task_job(spec: m.JobSpec, opts: m.Options) -> dict[str, Any]:
    if len(spec.needs) + 1 > MAX_NEEDS:
        raise UsageError(f"task {spec.tasks[0]}'s job would need {len(spec.needs) + 1} jobs; GitLab allows "
                         f"{MAX_NEEDS} by default", hint="group its dependencies under fewer tasks")
    *before, run = m.task_lines(spec, opts, approve=False)
    job: dict[str, Any] = {"stage": "tasks", "needs": ["plan", *spec.needs]}
    if spec.gate and not spec.gate_local:
        job["when"] = "manual"
        job["allow_failure"] = False  # its dependents wait for the approval
    job["script"] = [*before, f"{run} || status=$?", m.push_line(spec), 'exit "${status:-0}"']
    return job


def render(specs: list[m.JobSpec], opts: m.Options, header: list[str]) -> str:
    """The CI file's text."""
    before = [*m.install_lines(opts)]
    if before:
        before.append(f'export PATH="{m.BIN_DIR}:$PATH"')
    before.append(PUSH_URL)
    doc: dict[str, Any] = {
        "stages": ["plan", "tasks", "collect"],
        "variables": {"GIT_DEPTH": "0", "GIT_STRATEGY": "clone", "GITORCH_CACHE": "1"},
        "default": {"image": opts.image, "before_script": before},
        "plan": {"stage": "plan", "script": [m.plan_line(opts)]},
    }
    for spec in specs:
        doc[spec.id] = _task_job(spec, opts)
    doc["collect"] = {
        "stage": "collect", "when": "always", "script": [m.collect_line(opts)],
        "artifacts": {"when": "always", "paths": [m.REPORT, m.JUNIT], "expose_as": "orch report",
                      "reports": {"junit": m.JUNIT}},
    }
    return dump(doc, header)
