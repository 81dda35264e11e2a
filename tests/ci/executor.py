"""Runs an exported CI file as the engine would, without the forge.

Each job gets a fresh clone of the bare remote and its own HOME, starts as soon as the
jobs it `needs:` have finished (ready jobs start in random order, in parallel), and runs
its steps as separate processes with the environment the engine sets. GitHub: `run:`
steps with `bash -eo pipefail`, `$GITHUB_PATH`, `$GITHUB_STEP_SUMMARY`, the job and step
`if:` expressions the export writes. GitLab: `before_script` and `script` in one shell,
`needs:`, `when: always` in the last stage, `when: manual` played (or not) as asked.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SECRET = re.compile(r"\$\{\{ secrets\.([A-Za-z0-9_]+) \}\}")


@dataclass
class JobResult:
    id: str
    status: str  # success | failure | skipped
    output: str = ""
    summary: str = ""
    steps: list[str] = field(default_factory=list)


@dataclass
class Forge:
    """A bare remote and a place for the jobs' clones."""

    remote: Path
    work: Path
    base_env: dict[str, str]
    secrets: dict[str, str] = field(default_factory=dict)
    parallel: int = 4
    manual: bool = True  # GitLab: play manual jobs (GitHub: environments approve)
    event: str = "push"  # GitHub's GITHUB_EVENT_NAME (pull_request: the cache is read-only)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- common -----------------------------------------------------------------
    def _clone(self, job_dir: Path, sha: str) -> Path:
        ws = job_dir / "ws"
        subprocess.run(["git", "clone", "-q", str(self.remote), str(ws)], check=True, env=self.base_env)
        subprocess.run(["git", "checkout", "-q", "--detach", sha], cwd=ws, check=True, env=self.base_env)
        return ws

    def _job_env(self, job_dir: Path, extra: dict[str, str]) -> dict[str, str]:
        home = job_dir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = dict(self.base_env)
        env.update({"HOME": str(home), "CI": "true", **extra})
        return env

    def _schedule(self, jobs: dict[str, Any], needs: dict[str, list[str]],
                  run_job: Any) -> dict[str, JobResult]:
        results: dict[str, JobResult] = {}
        pending = dict(needs)
        running: dict[Future[JobResult], str] = {}
        with ThreadPoolExecutor(self.parallel) as pool:
            while pending or running:
                ready = [j for j, ns in pending.items() if all(n in results for n in ns)]
                random.shuffle(ready)
                for j in ready:
                    del pending[j]
                    running[pool.submit(run_job, j, jobs[j], results)] = j
                if not running:
                    raise AssertionError(f"jobs that can never start: {sorted(pending)}")
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    results[running.pop(fut)] = fut.result()
        return results

    # --- GitHub -----------------------------------------------------------------
    def run_github(self, text: str, sha: str, run_id: str) -> dict[str, JobResult]:
        doc = yaml.safe_load(text)
        jobs: dict[str, Any] = doc["jobs"]
        workflow_env = {k: str(v) for k, v in (doc.get("env") or {}).items()}
        needs = {j: list(spec.get("needs", [])) for j, spec in jobs.items()}

        def ancestors_failed(j: str, results: dict[str, JobResult]) -> bool:
            return any(results[n].status == "failure" or
                       (results[n].status == "skipped" and ancestors_failed(n, results)) for n in needs[j])

        def run_job(j: str, spec: dict[str, Any], results: dict[str, JobResult]) -> JobResult:
            cond = spec.get("if", "")
            if cond == "${{ always() }}":
                go = True
            elif cond == "${{ !failure() && !cancelled() }}":
                go = not ancestors_failed(j, results)
            else:
                assert not cond, f"unexpected job condition {cond!r}"
                go = all(results[n].status == "success" for n in needs[j])
            if not go:
                return JobResult(j, "skipped")
            return self._github_job(j, spec, sha, run_id, workflow_env)

        return self._schedule(jobs, needs, run_job)

    def _github_job(self, j: str, spec: dict[str, Any], sha: str, run_id: str,
                    workflow_env: dict[str, str]) -> JobResult:
        job_dir = self.work / f"{run_id}-{j}"
        job_dir.mkdir(parents=True)
        summary, path_file = job_dir / "summary.md", job_dir / "path"
        summary.touch()
        path_file.touch()
        env = self._job_env(job_dir, {
            "GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": run_id, "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SHA": sha, "GITHUB_ACTOR": "octo", "GITHUB_JOB": j,
            "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_PATH": str(path_file),
            "RUNNER_TEMP": str(job_dir / "tmp"), "GITHUB_REPOSITORY": "o/r",
            "GITHUB_EVENT_NAME": self.event, "GITHUB_REF": "refs/heads/main", **workflow_env,
        })
        res = JobResult(j, "success")
        failed = False
        ws: Path | None = None
        for step in spec["steps"]:
            cond = step.get("if", "")
            if failed and cond not in ("${{ !cancelled() }}", "${{ always() }}"):
                continue
            uses = step.get("uses", "")
            res.steps.append(step.get("name", uses))
            if uses.startswith("actions/checkout@"):
                assert step["with"]["fetch-depth"] == 0
                ws = self._clone(job_dir, sha)
                env["GITHUB_WORKSPACE"] = str(ws)
                continue
            if uses:
                continue  # upload-artifact and the like: nothing to do without the forge
            assert ws is not None, f"job {j}: a run step before the checkout"
            step_env = dict(env)
            added = [p for p in path_file.read_text().splitlines() if p]
            step_env["PATH"] = os.pathsep.join([*reversed(added), env["PATH"]])
            for k, v in (step.get("env") or {}).items():
                step_env[k] = SECRET.sub(lambda m: self.secrets.get(m.group(1), ""), str(v))
            t0 = time.monotonic()
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                                  cwd=ws, env=step_env, capture_output=True, text=True)
            res.output += f"$ {step['run']}\n{proc.stdout}{proc.stderr}"
            res.steps[-1] += f" ({time.monotonic() - t0:.1f}s)"
            if proc.returncode != 0:
                failed = True
        res.status = "failure" if failed else "success"
        res.summary = summary.read_text()
        return res

    # --- GitLab -----------------------------------------------------------------
    def run_gitlab(self, text: str, sha: str, pipeline: str) -> dict[str, JobResult]:
        doc = yaml.safe_load(text)
        stages: list[str] = doc["stages"]
        before: list[str] = doc["default"]["before_script"]
        variables = {k: str(v) for k, v in (doc.get("variables") or {}).items()}
        jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
        needs: dict[str, list[str]] = {}
        for j, spec in jobs.items():
            if "needs" in spec:
                needs[j] = list(spec["needs"])
            else:  # no needs: every job of the earlier stages
                rank = stages.index(spec["stage"])
                needs[j] = [k for k, s in jobs.items() if stages.index(s["stage"]) < rank]

        def run_job(j: str, spec: dict[str, Any], results: dict[str, JobResult]) -> JobResult:
            when = spec.get("when", "on_success")
            ok = all(results[n].status == "success" for n in needs[j])
            if (when != "always" and not ok) or (when == "manual" and not self.manual):
                return JobResult(j, "skipped")
            return self._gitlab_job(j, [*before, *spec["script"]], sha, pipeline, variables)

        return self._schedule(jobs, needs, run_job)

    def _gitlab_job(self, j: str, lines: list[str], sha: str, pipeline: str,
                    variables: dict[str, str]) -> JobResult:
        job_dir = self.work / f"gl{pipeline}-{j}"
        job_dir.mkdir(parents=True)
        ws = self._clone(job_dir, sha)
        env = self._job_env(job_dir, {"GITLAB_CI": "true", "CI_PIPELINE_ID": pipeline, "CI_JOB_NAME": j,
                                      "CI_COMMIT_SHA": sha, "GITLAB_USER_LOGIN": "tanuki",
                                      "CI_SERVER_HOST": "gitlab.example", "CI_PROJECT_PATH": "o/r",
                                      **variables})
        env.update(self.secrets)  # GitLab gives every job the project's variables
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-c", "\n".join(lines)],
                              cwd=ws, env=env, capture_output=True, text=True)
        return JobResult(j, "success" if proc.returncode == 0 else "failure", proc.stdout + proc.stderr)
