"""`git orch ci export`: jobs and edges, grouping, byte stability, --check, bad input, lints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitorch.ci.jobs import job_id, plan_jobs
from gitorch.errors import UsageError
from gitorch.plan.model import Plan, Task
from tests.ci.conftest import cli, orch

BIN = Path(sys.executable).parent


def _plan(edges: dict[str, list[str]], **gated: str) -> Plan:
    return Plan(tasks=[Task(id=t, dependencies=d, approvals=[gated[t]] if t in gated else [])
                       for t, d in edges.items()])


def _edges_kept(plan: Plan, jobs: list) -> None:  # type: ignore[type-arg]
    """Every edge is inside one job (dependency first) or an edge between their jobs."""
    owner = {t: j for j in jobs for t in j.tasks}
    for task in plan.tasks:
        for dep in task.dependencies:
            a, b = owner[dep], owner[task.id]
            if a is b:
                assert a.tasks.index(dep) < a.tasks.index(task.id)
            else:
                assert a.id in b.needs


def test_one_job_per_task_needs_are_the_edges() -> None:
    plan = _plan({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    jobs = plan_jobs(plan, ["a", "b", "c", "d"])
    assert [(j.id, j.tasks, j.needs) for j in jobs] == [
        ("t-a", ("a",), ()), ("t-b", ("b",), ("t-a",)), ("t-c", ("c",), ("t-a",)),
        ("t-d", ("d",), ("t-b", "t-c"))]


def test_over_the_limit_chains_share_a_job_and_no_edge_breaks() -> None:
    # three chains of 4 hanging off a root, and a fan-in at the end
    edges: dict[str, list[str]] = {"root": []}
    for c in "xyz":
        prev = "root"
        for i in range(4):
            edges[f"{c}{i}"] = [prev]
            prev = f"{c}{i}"
    edges["end"] = ["x3", "y3", "z3"]
    plan = _plan(edges)
    order = list(edges)
    jobs = plan_jobs(plan, order, max_jobs=5)
    assert len(jobs) == 5
    assert {j.tasks for j in jobs} >= {("x0", "x1", "x2", "x3")}
    _edges_kept(plan, jobs)
    packed = plan_jobs(plan, order, max_jobs=2)  # fewer jobs than chains: contiguous groups
    assert len(packed) <= 3
    _edges_kept(plan, packed)


def test_gated_tasks_keep_their_own_job_when_grouped() -> None:
    plan = _plan({"a": [], "b": ["a"], "c": ["b"], "d": ["c"]}, c="deploy")
    jobs = plan_jobs(plan, ["a", "b", "c", "d"], max_jobs=2)
    assert ("c",) in {j.tasks for j in jobs}
    _edges_kept(plan, jobs)


def test_job_ids_are_mapped_and_collisions_refused() -> None:
    assert job_id("build.x") == "t-build_x"
    assert job_id("9lives") == "t-9lives"
    long = job_id("a" * 200)
    assert len(long) <= 80 and long == job_id("a" * 200)
    with pytest.raises(UsageError, match="'a.b' and 'a_b' both become job 't-a_b'"):
        plan_jobs(_plan({"a.b": [], "a_b": []}), ["a.b", "a_b"])
    with pytest.raises(UsageError, match="both become job"):  # GitHub ignores case in job ids
        plan_jobs(_plan({"Build": [], "build": []}), ["Build", "build"])


@pytest.mark.parametrize("target", ["github", "gitlab"])
def test_export_is_byte_stable_and_check_finds_drift(planned: Path, target: str) -> None:
    code, out, err = orch(planned, "ci", "export", "--target", target)
    assert code == 0, err
    name = ".github/workflows/orch.yml" if target == "github" else ".gitlab-ci.orch.yml"
    assert out.startswith(f"wrote {name} (")  # as docs/ci.md shows it (was the absolute path)
    path = planned / name
    first = path.read_bytes()
    assert orch(planned, "ci", "export", "--target", target)[1].startswith("unchanged:")
    assert path.read_bytes() == first
    code, out, _ = orch(planned, "ci", "export", "--target", target, "--check")
    assert code == 0 and "is current" in out
    plan = planned / "orchestrator.yml"
    plan.write_text(plan.read_text().replace("echo built", "echo rebuilt"))
    code, _, err = orch(planned, "ci", "export", "--target", target, "--check")
    assert code == 1
    assert "is not current" in err and "Plan digest" in err
    assert path.read_bytes() == first  # --check writes nothing


def test_github_workflow_shape(planned: Path) -> None:
    assert orch(planned, "ci", "export", "--target", "github")[0] == 0
    doc = yaml.safe_load((planned / ".github/workflows/orch.yml").read_text())
    jobs = doc["jobs"]
    assert list(jobs) == ["plan", "t-lint", "t-build_x", "t-test", "t-deploy", "collect"]
    assert doc["permissions"] == {}
    assert doc["env"] == {"GITORCH_CACHE": "1"}  # the jobs use the result cache
    assert doc["on"]["push"] == {"branches-ignore": ["orch/state"]}  # collect's push starts nothing
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    assert jobs["t-deploy"]["needs"] == ["plan", "t-lint", "t-test"]
    assert jobs["t-deploy"]["environment"] == "deploy"
    assert jobs["t-test"]["if"] == "${{ !failure() && !cancelled() }}"
    assert jobs["collect"]["if"] == "${{ always() }}"
    for job in jobs.values():
        for step in job["steps"]:
            if "uses" in step:
                assert len(step["uses"].split("@")[1]) == 40  # pinned to a commit SHA
    envs = {j: [s.get("env") for s in spec["steps"] if s.get("env")] for j, spec in jobs.items()}
    assert envs["t-build_x"] == [{"API_TOKEN": "${{ secrets.API_TOKEN }}"}]
    assert all(not v for j, v in envs.items() if j != "t-build_x")  # only the declared secret
    gl_code = orch(planned, "ci", "export", "--target", "gitlab")[0]
    assert gl_code == 0
    gl = yaml.safe_load((planned / ".gitlab-ci.orch.yml").read_text())
    assert gl["t-deploy"]["when"] == "manual" and gl["collect"]["when"] == "always"


def test_local_gate_is_not_held_by_the_forge(planned: Path) -> None:
    assert orch(planned, "ci", "export", "--target", "github", "--local-gate", "deploy")[0] == 0
    doc = yaml.safe_load((planned / ".github/workflows/orch.yml").read_text())
    assert "environment" not in doc["jobs"]["t-deploy"]
    runs = [s.get("run", "") for s in doc["jobs"]["t-deploy"]["steps"]]
    assert "git orch ci wait-approval --gate deploy --task deploy" in runs
    assert not any("ci approve" in r for r in runs)
    code, _, err = orch(planned, "ci", "export", "--target", "github", "--local-gate", "nope")
    assert code == 2 and "not a gate the plan declares" in err
    plan = planned / "orchestrator.yml"  # the same, said in the plan
    local = "required: [deploy]\n    ci: {deploy: local}"
    plan.write_text(plan.read_text().replace("required: [deploy]", local))
    assert orch(planned, "ci", "export", "--target", "gitlab")[0] == 0
    gl = yaml.safe_load((planned / ".gitlab-ci.orch.yml").read_text())
    assert "when" not in gl["t-deploy"]
    assert gl["t-deploy"]["script"][1].startswith("git orch ci wait-approval")
    plan.write_text(plan.read_text().replace("ci: {deploy: local}", "ci: {deploy: local, qa: forge}"))
    code, _, err = orch(planned, "ci", "export", "--target", "gitlab")
    assert code == 2 and "unknown gate 'qa' in ci" in err


def test_bad_input(planned: Path) -> None:
    code, _, err = orch(planned, "ci", "export", "--target", "jenkins")
    assert code == 2 and "unknown target 'jenkins'" in err and "github, gitlab" in err
    (planned / "bad.yml").write_text("tasks:\n  - id: a\n    dependencies: [ghost]\n")
    code, _, err = cli(planned, "ci", "export", "--target", "github", "--file", "bad.yml")
    assert code == 2 and "bad.yml" in err and "ghost" in err and "Traceback" not in err
    assert not (planned / ".github").exists()  # nothing half-written
    wide = "".join(f"  - id: d{i}\n" for i in range(50)) + "  - id: top\n    dependencies: [" + \
        ", ".join(f"d{i}" for i in range(50)) + "]\n"
    (planned / "wide.yml").write_text("tasks:\n" + wide)
    code, _, err = orch(planned, "ci", "export", "--target", "gitlab", "--file", "wide.yml")
    assert code == 2 and "task top's job would need 51 jobs" in err
    (planned / "clash.yml").write_text("tasks:\n  - id: a.b\n  - id: a_b\n")
    code, _, err = orch(planned, "ci", "export", "--target", "gitlab", "--file", "clash.yml")
    assert code == 2 and "both become job" in err


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_github_output_passes_actionlint_zizmor_and_the_schema(planned: Path) -> None:
    assert orch(planned, "ci", "export", "--target", "github")[0] == 0
    wf = str(planned / ".github/workflows/orch.yml")
    for cmd in ([_tool("actionlint"), wf],
                [_tool("zizmor"), "--offline", "--no-progress", "--min-severity", "informational", wf],
                [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", wf]):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=planned)
        assert proc.returncode == 0, f"{cmd[0]}: {proc.stdout}{proc.stderr}"


def test_gitlab_output_passes_the_schema(planned: Path) -> None:
    assert orch(planned, "ci", "export", "--target", "gitlab")[0] == 0
    proc = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci",
                           str(planned / ".gitlab-ci.orch.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_downloaded_zipapp_is_checked_against_its_sha256(planned: Path) -> None:
    sha = "ab" * 32
    code, _, err = orch(planned, "ci", "export", "--target", "github", "--install", "url",
                        "--pyz-url", "https://example.org/orch.pyz", "--pyz-sha256", sha)
    assert code == 0, err
    wf = planned / ".github/workflows/orch.yml"
    install = yaml.safe_load(wf.read_text())["jobs"]["plan"]["steps"][1]["run"]
    assert "curl -fsSL --retry 3 -o \"$HOME/.orch/orch.pyz\" 'https://example.org/orch.pyz'" in install
    assert f"echo '{sha}  '\"$HOME/.orch/orch.pyz\" | sha256sum -c -" in install
    proc = subprocess.run([_tool("actionlint"), str(wf)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    code, _, err = orch(planned, "ci", "export", "--target", "github", "--install", "url",
                        "--pyz-url", "https://example.org/x'; rm -rf /", "--pyz-sha256", sha)
    assert code == 2 and "--install url needs" in err
