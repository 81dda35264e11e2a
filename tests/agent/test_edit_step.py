"""The edit step with a fake agent that is a real program editing real files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from gitorch import events as ev
from tests.conftest import git
from tests.e2e.helpers import events, of_type, write_plan

AGENT = Path(__file__).with_name("fake_agent.py")
CHECK = ("Tests pass: python3 -c 'import sys; sys.path.insert(0, \"src\"); import answer; "
         "assert answer.answer() == 42, answer.answer()'")


@pytest.fixture
def agent_repo(repo: Path) -> Path:
    (repo / "src").mkdir()
    (repo / "src" / "answer.py").write_text("def answer():\n    return 0\n")
    (repo / "LOCKED.txt").write_text("keep\n")
    write_plan(repo, [{
        "id": "fix", "title": "make `answer` return 42", "agent": True,
        "paths": {"preferred": ["src"], "forbidden": ["LOCKED.txt"]},
        "acceptance": [CHECK],
    }])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    return repo


def _env(mode: str, tmp_path: Path, placeholder: bool = True) -> dict[str, str]:
    cmd = f"{sys.executable} {AGENT}" + (" {prompt}" if placeholder else "")
    return {"GITORCH_AGENT_COMMAND": cmd, "FAKE_AGENT": mode,
            "FAKE_AGENT_LOG": str(tmp_path / "prompts.log")}


def test_learner_completes_on_the_second_attempt(agent_repo: Path, orch, tmp_path: Path) -> None:
    proc = orch("run", "--all", cwd=agent_repo, env=_env("learner", tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = events(agent_repo)
    patches = of_type(found, ev.PatchApplied, "fix")
    assert [p.attempt for p in patches] == [1, 2]
    assert all(p.paths == ["src/answer.py"] and p.added == 1 and p.removed == 1 for p in patches)
    assert of_type(found, ev.TaskCompleted, "fix")
    assert (agent_repo / "src" / "answer.py").read_text() == "def answer():\n    return 42\n"
    # the second prompt carried the failing check's evidence and the diff so far
    prompts = (tmp_path / "prompts.log").read_text().split("\n=====\n")
    assert "The previous attempt failed" not in prompts[0]
    assert "# fix: make `answer` return 42" in prompts[0]
    assert "AssertionError: 41" in prompts[1] and "+    return 41" in prompts[1]
    # the diff of each attempt is on the state branch, and `diff` shows it
    shown = orch("diff", "fix", "--attempt", "1", cwd=agent_repo)
    assert shown.returncode == 0, shown.stderr
    assert "+    return 41" in shown.stdout
    latest = orch("diff", "fix", cwd=agent_repo)
    assert "+    return 42" in latest.stdout and "-    return 41" in latest.stdout
    report = orch("report", cwd=agent_repo).stdout
    assert "## Patches" in report
    assert "| 2 | edit | 1 | +1 −1 |" in report and "/fix/2.diff" in report


def test_prompt_on_stdin_without_placeholder(agent_repo: Path, inproc, tmp_path: Path) -> None:
    proc = inproc("run", "--all", cwd=agent_repo, env=_env("learner", tmp_path, placeholder=False))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(of_type(events(agent_repo), ev.PatchApplied, "fix")) == 2


def test_stubborn_agent_fails_with_the_last_evidence(agent_repo: Path, inproc, tmp_path: Path) -> None:
    env = {**_env("stubborn", tmp_path), "GITORCH_AGENT_ATTEMPTS": "2"}
    proc = inproc("run", "--all", cwd=agent_repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = events(agent_repo)
    assert len(of_type(found, ev.PatchApplied, "fix")) == 2
    failed = of_type(found, ev.TaskFailed, "fix")
    assert failed and "2 attempts without passing" in failed[-1].reason
    assert "acceptance failed" in failed[-1].reason
    doc = json.loads(inproc("context", "fix", "--json", cwd=agent_repo).stdout)
    assert doc["latest_failure"]["excerpt"].rstrip().endswith("AssertionError: 41")


def test_forbidden_change_is_undone(agent_repo: Path, inproc, tmp_path: Path) -> None:
    env = {**_env("trespasser", tmp_path), "GITORCH_AGENT_ATTEMPTS": "1"}
    proc = inproc("run", "--all", cwd=agent_repo, env=env)
    assert proc.returncode == 1
    assert (agent_repo / "LOCKED.txt").read_text() == "keep\n"
    patch = of_type(events(agent_repo), ev.PatchApplied, "fix")[0]
    assert patch.reverted == ["LOCKED.txt"]
    failed = of_type(events(agent_repo), ev.TaskFailed, "fix")[-1]
    assert "forbidden" in failed.reason and "LOCKED.txt" in failed.reason


def test_without_an_agent_command_the_task_waits_as_manual_work(agent_repo: Path, inproc) -> None:
    proc = inproc("run", "--all", cwd=agent_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert not of_type(events(agent_repo), ev.PatchApplied)


def test_agent_types_hand_a_task_type_to_the_agent(repo: Path, inproc, tmp_path: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "answer.py").write_text("def answer():\n    return 0\n")
    write_plan(repo, [{"id": "fix", "type": "code_change", "acceptance": [CHECK]}],
               orchestrator={"agent_types": ["code_change"]})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    proc = inproc("run", "--all", cwd=repo, env=_env("learner", tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(of_type(events(repo), ev.PatchApplied, "fix")) == 2


def test_apply_patch_holds_the_patch_until_approved(repo: Path, orch, tmp_path: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "answer.py").write_text("def answer():\n    return 0\n")
    write_plan(repo, [{"id": "fix", "agent": True, "approvals": ["apply_patch"], "acceptance": [CHECK]}],
               orchestrator={"approvals": {"required": ["apply_patch"]}})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    env = _env("learner", tmp_path)
    first = orch("run", "--all", cwd=repo, env=env)
    assert first.returncode == 3, first.stdout + first.stderr
    assert "approve apply_patch --task fix" in first.stdout
    # the agent worked elsewhere: the work tree, the branches and the worktrees are as they were
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / "src" / "answer.py").read_text() == "def answer():\n    return 0\n"
    assert git(repo, "branch", "--list", "orch-agent/*") == ""
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    held = [p for p in of_type(events(repo), ev.PatchApplied, "fix") if p.stage == "held"]
    assert len(held) == 1 and held[0].paths == ["src/answer.py"]
    # resuming without an approval changes nothing and does not run the agent again
    again = orch("resume", cwd=repo, env=env)
    assert again.returncode == 3
    assert len(of_type(events(repo), ev.PatchApplied, "fix")) == 3  # two attempts and the held patch
    assert orch("approve", "apply_patch", "--task", "fix", cwd=repo).returncode == 0
    done = orch("resume", cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / "src" / "answer.py").read_text() == "def answer():\n    return 42\n"
    assert git(repo, "status", "--porcelain") == "M src/answer.py"
    assert of_type(events(repo), ev.PatchApplied, "fix")[-1].stage == "applied"


def test_an_approved_patch_that_no_longer_applies_changes_nothing(repo: Path, inproc, tmp_path: Path) -> None:
    (repo / "src").mkdir()
    (repo / "src" / "answer.py").write_text("def answer():\n    return 0\n")
    write_plan(repo, [{"id": "fix", "agent": True, "approvals": ["apply_patch"], "acceptance": [CHECK],
                       "paths": ["README.md"]}],
               orchestrator={"approvals": {"required": ["apply_patch"]}})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    env = _env("learner", tmp_path)
    assert inproc("run", "--all", cwd=repo, env=env).returncode == 3
    assert inproc("approve", "apply_patch", "--task", "fix", cwd=repo).returncode == 0
    (repo / "src" / "answer.py").write_text("def answer():\n    return -1  # edited meanwhile\n")
    proc = inproc("resume", cwd=repo, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (repo / "src" / "answer.py").read_text() == "def answer():\n    return -1  # edited meanwhile\n"
    failed = of_type(events(repo), ev.TaskFailed, "fix")[-1]
    assert "no longer applies cleanly" in failed.reason and "nothing was applied" in failed.reason
