"""What the CI engine tells a job through its environment: which run, which engine, who."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gitorch.errors import UsageError

_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
RESULTS = "refs/orch/results"


@dataclass(frozen=True)
class CiRun:
    """One CI run (a GitHub workflow run attempt, a GitLab pipeline)."""

    id: str  # gitorch's run id for every job of it: gh-<run>-<attempt>, gl-<pipeline>
    engine: str  # github | gitlab | other
    actor: str
    url: str  # a link to the run, when the engine gives one
    summary: str | None  # $GITHUB_STEP_SUMMARY

    def results_prefix(self) -> str:
        return f"{RESULTS}/{self.id}/"


def ci_run(environ: Mapping[str, str] | None = None) -> CiRun | None:
    """The CI run this process belongs to, or None outside CI. GITORCH_CI_RUN overrides the id."""
    env = os.environ if environ is None else environ
    override = env.get("GITORCH_CI_RUN", "")
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_RUN_ID"):
        rid = f"gh-{env['GITHUB_RUN_ID']}-{env.get('GITHUB_RUN_ATTEMPT') or '1'}"
        url = (f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY', '')}"
               f"/actions/runs/{env['GITHUB_RUN_ID']}")
        run = CiRun(override or rid, "github", env.get("GITHUB_ACTOR", ""), url,
                    env.get("GITHUB_STEP_SUMMARY") or None)
    elif env.get("GITLAB_CI") == "true" and env.get("CI_PIPELINE_ID"):
        run = CiRun(override or f"gl-{env['CI_PIPELINE_ID']}", "gitlab", env.get("GITLAB_USER_LOGIN", ""),
                    env.get("CI_PIPELINE_URL", ""), None)
    elif override:
        run = CiRun(override, "other", env.get("USER", ""), "", None)
    else:
        return None
    if not _SAFE.match(run.id):
        raise UsageError(f"CI run id {run.id!r} is not usable in a ref name",
                         hint="letters, digits, '.', '_' and '-' (set GITORCH_CI_RUN)")
    return run


def require_ci_run(environ: Mapping[str, str] | None = None) -> CiRun:
    run = ci_run(environ)
    if run is None:
        raise UsageError("not inside a CI run (no GITHUB_RUN_ID, CI_PIPELINE_ID or GITORCH_CI_RUN)",
                         hint="these commands run in the jobs `git orch ci export` writes; "
                              "set GITORCH_CI_RUN=<id> to run them by hand")
    return run


def check_job(job: str) -> str:
    if not _SAFE.match(job):
        raise UsageError(f"--job {job!r}: not a job id `git orch ci export` writes")
    return job
