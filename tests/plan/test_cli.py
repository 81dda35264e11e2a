"""Plan features through the real CLI."""

from __future__ import annotations

from pathlib import Path

from gitorch.plan.load import load_plan
from tests.conftest import make_repo


def test_secret_probes_are_part_of_the_plan(tmp_path: Path, orch) -> None:
    """docs/secrets.md's probes: a top-level `secret_probes` mapping validates and loads."""
    plan = (
        "version: 1\nsecrets: [API_TOKEN]\n"
        "secret_probes:\n  API_TOKEN: 'test -n \"$API_TOKEN\"'\n"
        "tasks:\n  - id: a\n    commands: {x: 'true'}\n"
    )
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": plan})
    proc = orch("plan", "validate", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    loaded = load_plan(repo / "orchestrator.yml")
    assert loaded.plan.secret_probes == {"API_TOKEN": 'test -n "$API_TOKEN"'}


def test_run_refuses_a_nul_path_before_starting(tmp_path: Path, orch) -> None:
    """Issue 14: `paths: ["a\\0b"]` validated, then crashed `run` (exit 70, the run left running)."""
    plan = 'version: 1\ntasks:\n  - id: a\n    paths: ["a\\0b"]\n    commands: {x: "true"}\n'
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": plan})
    proc = orch("run", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert "tasks[0].paths[0]: path 'a\\x00b' contains a NUL byte" in proc.stderr
    assert "internal error" not in proc.stderr
    status = orch("status", "--json", cwd=repo)
    assert '"running"' not in status.stdout


def test_an_include_glob_skips_the_git_dir_and_itself_and_says_outside_once(tmp_path: Path, orch) -> None:
    """`include: "**/*"` read .git/HEAD as a plan; a glob matching the including file was a
    cycle; a glob through a symlink out of the repository repeated its error per file."""
    repo = make_repo(tmp_path / "r", {"orchestrator.yml": 'version: 1\ninclude: "**/*.yml"\ntasks: []\n',
                                      "tasks/a.yml": "tasks:\n  - {id: a, commands: {x: 'true'}}\n"})
    (repo / ".git" / "x.yml").write_text("not: [a plan\n")
    proc = orch("plan", "validate", cwd=repo)
    assert proc.returncode == 0 and "1 task" in proc.stdout, proc.stderr
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for n in range(3):
        (outside / f"{n}.yml").write_text("tasks: []\n")
    (repo / "tasks" / "linked").symlink_to(outside)
    (repo / "orchestrator.yml").write_text('version: 1\ninclude: ["**/*.yml", "tasks/linked/*.yml"]\n')
    proc = orch("plan", "validate", cwd=repo)
    assert proc.returncode == 2 and proc.stderr.count("is outside the repository") == 1, proc.stderr
