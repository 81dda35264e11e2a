"""What an export needs to know, independent of the CI engine it is written for."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Literal

from gitorch.ci.jobs import DEFAULT_MAX_JOBS, Job, plan_jobs
from gitorch.errors import UsageError
from gitorch.plan.model import Plan

Target = Literal["github", "gitlab"]
Install = Literal["pyz", "url", "pip", "path"]
TARGETS: tuple[str, ...] = ("github", "gitlab")
INSTALLS: tuple[str, ...] = ("pyz", "url", "pip", "path")
DEFAULT_OUT = {"github": ".github/workflows/orch.yml", "gitlab": ".gitlab-ci.orch.yml"}

# Actions by commit SHA (the tag in the comment): a moved tag cannot change what runs.
PINS: dict[str, tuple[str, str]] = {
    "actions/checkout": ("11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
}
BIN_DIR = "$HOME/.orch/bin"
JUNIT = "orch-junit.xml"
REPORT = "orch-report.md"
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9._~:/?#@!$&()*+,;=%-]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Options:
    """How to export: the engine, the limit on jobs, how gitorch gets onto the runner."""

    target: Target
    plan_file: str | None = None  # as job commands name it (relative to the repository root)
    max_jobs: int = DEFAULT_MAX_JOBS
    install: Install = "pyz"
    pyz: str = "orch.pyz"  # the committed zipapp (install=pyz)
    pyz_url: str = ""  # where to download it (install=url), checked against pyz_sha256
    pyz_sha256: str = ""
    version: str = ""  # the gitorch version pip installs (install=pip)
    pins: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(PINS))
    runs_on: str = "ubuntu-latest"
    image: str = "python:3.12"
    local_gates: tuple[str, ...] = ()  # gates approved in the state branch, not by the forge
    state_branch: str = "orch/state"  # pushes to it must not start the workflow again

    def __post_init__(self) -> None:
        for name, value in (("--pyz", self.pyz), ("--file", self.plan_file or "x")):
            if not _SAFE_PATH.match(value) or ".." in value.split("/"):
                raise UsageError(f"{name} {value!r}: use a relative path of letters, digits, '.', '_', "
                                 "'-' and '/' (it is written into shell commands)")
        if self.install == "url" and not (_SAFE_URL.match(self.pyz_url) and _SHA256.match(self.pyz_sha256)):
            raise UsageError("--install url needs --pyz-url https://… (no quotes or spaces) and "
                             "--pyz-sha256 with the archive's 64-hex sha256")


@dataclass(frozen=True)
class JobSpec:
    """One task job as every engine writes it."""

    id: str
    tasks: tuple[str, ...]
    needs: tuple[str, ...]
    title: str
    gate: str | None = None  # the gate the forge holds the job for
    gate_local: bool = False  # `ci: local`: approved in the state branch, not by the forge
    secrets: tuple[str, ...] = ()


def job_specs(plan: Plan, order: list[str], opts: Options) -> list[JobSpec]:
    """The task jobs with their gate and secrets; a task with two gates is refused (a job
    has one environment)."""
    by_id = {t.id: t for t in plan.tasks}
    ci_modes = plan.orchestrator.approvals.ci
    local = set(opts.local_gates) | {g for g, mode in ci_modes.items() if mode == "local"}
    unknown = sorted(local - set(plan.orchestrator.approvals.required))
    if unknown:
        declared = ", ".join(plan.orchestrator.approvals.required) or "none"
        raise UsageError(f"--local-gate {', '.join(unknown)}: not a gate the plan declares",
                         hint=f"declared gates: {declared}")
    specs: list[JobSpec] = []
    for job in plan_jobs(plan, order, opts.max_jobs):
        gates = sorted({g for t in job.tasks for g in plan.gates_for(by_id[t])})
        if len(gates) > 1:
            raise UsageError(f"task {job.tasks[0]} waits for gates {', '.join(gates)}; a CI job is held "
                             "by one environment", hint="give the task one gate, or run it locally")
        secrets = sorted({*plan.secrets, *(s for t in job.tasks for s in by_id[t].secrets)})
        specs.append(JobSpec(job.id, job.tasks, job.needs, _title(job, by_id[job.tasks[0]].title),
                             gates[0] if gates else None, bool(gates and gates[0] in local),
                             tuple(secrets)))
    return specs


def _title(job: Job, title: str) -> str:
    first = job.tasks[0] + (f": {title}" if title else "")
    return first if len(job.tasks) == 1 else f"{first} (+{len(job.tasks) - 1} more)"


def file_args(opts: Options) -> str:
    return f" --file {shlex.quote(opts.plan_file)}" if opts.plan_file else ""


def install_lines(opts: Options) -> list[str]:
    """Shell lines that put `git-orch` into BIN_DIR (the caller adds BIN_DIR to PATH)."""
    if opts.install == "path":
        return []
    if opts.install == "pip":
        spec = f"gitorch=={opts.version}" if opts.version else "gitorch"
        return [f'python3 -m pip install --quiet --target "$HOME/.orch/lib" {shlex.quote(spec)}',
                f'mkdir -p "{BIN_DIR}"',
                f"printf '#!/bin/sh\\nPYTHONPATH=\"%s\" exec python3 -m gitorch \"$@\"\\n' "
                f'"$HOME/.orch/lib" > "{BIN_DIR}/git-orch"',
                f'chmod +x "{BIN_DIR}/git-orch"']
    if opts.install == "url":  # downloaded, and refused unless it is the archive named
        return [f'mkdir -p "{BIN_DIR}"',
                f"curl -fsSL --retry 3 -o \"$HOME/.orch/orch.pyz\" '{opts.pyz_url}'",
                f"echo '{opts.pyz_sha256}  '\"$HOME/.orch/orch.pyz\" | sha256sum -c -",
                f"printf '#!/bin/sh\\nexec python3 \"%s\" \"$@\"\\n' \"$HOME/.orch/orch.pyz\""
                f' > "{BIN_DIR}/git-orch"',
                f'chmod +x "{BIN_DIR}/git-orch"']
    return [f'mkdir -p "{BIN_DIR}"',
            f"printf '#!/bin/sh\\nexec python3 \"%s\" \"$@\"\\n' \"$PWD/{opts.pyz}\""
            f' > "{BIN_DIR}/git-orch"',
            f'chmod +x "{BIN_DIR}/git-orch"']


def task_lines(spec: JobSpec, opts: Options, approve: bool) -> list[str]:
    """The job's commands after gitorch is installed: state in, the task, its result out."""
    tasks = " ".join(f"--task {shlex.quote(t)}" for t in spec.tasks)
    lines = ["git orch ci fetch"]
    if spec.gate and spec.gate_local:  # approved in the state branch: wait for it there
        lines.append(f"git orch ci wait-approval --gate {shlex.quote(spec.gate)} {tasks}{file_args(opts)}")
    elif approve and spec.gate:
        lines.append(f"git orch ci approve --gate {shlex.quote(spec.gate)} {tasks}{file_args(opts)}")
    lines.append(f"git orch run --only {tasks}{file_args(opts)}")
    return lines


def push_line(spec: JobSpec) -> str:
    return f"git orch ci push-result --job {spec.id}"


def plan_line(opts: Options) -> str:
    return f"git orch ci plan{file_args(opts)}"


def collect_line(opts: Options) -> str:
    return f"git orch ci collect --out {REPORT} --junit {JUNIT}{file_args(opts)}"
