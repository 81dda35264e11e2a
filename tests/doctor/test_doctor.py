"""`git orch doctor`: healthy repo, stale and held locks, missing secrets, ephemeral, legacy."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.context import build_context
from gitorch.doctor import diagnose, healthy
from gitorch.repo import find_repo


@pytest.fixture(autouse=True)
def not_ephemeral(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CLAUDE_CODE_WEB", "GITHUB_CODESPACES", "CODESPACES", "GITPOD_WORKSPACE_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GITORCH_EPHEMERAL", "0")


def _doctor(cli) -> tuple[int, dict]:  # type: ignore[no-untyped-def, type-arg]
    result = cli("doctor", "--json")
    return result.exit_code, json.loads(result.output)


def _checks(doc: dict, check: str) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in doc["findings"] if f["check"] == check]


def test_healthy_repo_exits_0(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, doc = _doctor(cli)
    assert code == 0 and doc["ok"] is True
    names = {f["check"] for f in doc["findings"]}
    assert {"git", "backend", "state", "locks", "hooks", "legacy", "secrets", "ephemeral", "disk",
            "permissions"} <= names
    assert all(f["severity"] in ("ok", "info") for f in doc["findings"])
    human = cli("doctor")
    assert human.exit_code == 0 and human.output.rstrip().endswith("healthy")


def test_state_branch_schema_version_reported(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from gitorch.config import open_store

    open_store(find_repo(repo)).init()
    _code, doc = _doctor(cli)
    (state,) = _checks(doc, "state")
    assert state["severity"] == "ok" and "schema version 1" in state["message"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_lock_is_a_problem_naming_the_holder(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    locks = repo / ".git" / "orch" / "locks"
    locks.mkdir(parents=True)
    pid = _dead_pid()
    (locks / "run.lock").write_text(json.dumps({
        "pid": pid, "host": socket.gethostname(), "session": "s-dead", "command": "git orch run",
        "since": "2026-01-01T00:00:00.000Z"}))
    (locks / "notes.lock").write_text("")  # released: nothing recorded, not a finding
    code, doc = _doctor(cli)
    assert code == 1
    (lock,) = _checks(doc, "locks")
    assert lock["severity"] == "warning" and "stale lock run" in lock["message"]
    assert f"pid {pid}" in lock["message"] and "git orch run" in lock["message"]
    assert lock["fix"]


def test_held_lock_is_reported_with_its_holder(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # A real holder: another process inside the store's own lock.
    script = (
        "import sys,time\nfrom gitorch.repo import find_repo\nfrom gitorch.config import open_store\n"
        "with open_store(find_repo(sys.argv[1])).lock('run'):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script, str(repo)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code, doc = _doctor(cli)
        (lock,) = _checks(doc, "locks")
        assert lock["severity"] == "info" and f"pid {holder.pid}" in lock["message"]
        assert code == 0
    finally:
        holder.kill()
        holder.wait()


def test_missing_secret_is_an_error_with_a_fix(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (repo / "orchestrator.yml").write_text(
        "version: 1\nsecrets: [DEPLOY_TOKEN]\ntasks:\n  - id: a\n    secrets: [PYPI_TOKEN]\n")
    monkeypatch.setenv("DEPLOY_TOKEN", "present-value")
    code, doc = _doctor(cli)
    assert code == 1
    (missing,) = [f for f in _checks(doc, "secrets") if f["severity"] == "error"]
    assert "PYPI_TOKEN" in missing["message"] and "task a" in missing["message"]
    assert "git orch secrets set PYPI_TOKEN" in missing["fix"]
    assert "present-value" not in json.dumps(doc)
    monkeypatch.setenv("PYPI_TOKEN", "x")
    code, doc = _doctor(cli)
    assert code == 0


def test_ephemeral_with_unpushed_state_warns(repo: Path, cli, bare_remote: Path,  # type: ignore[no-untyped-def]
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from gitorch.config import open_store

    open_store(find_repo(repo)).init()
    monkeypatch.setenv("GITORCH_EPHEMERAL", "1")
    code, doc = _doctor(cli)
    (eph,) = _checks(doc, "ephemeral")
    assert code == 1 and eph["severity"] == "warning"
    assert "git orch sync" in eph["fix"] and "git orch export" in eph["fix"]
    subprocess.run(["git", "remote", "add", "origin", str(bare_remote)], cwd=repo, check=True)
    subprocess.run(["git", "push", "-q", "origin", "orch/state"], cwd=repo, check=True,
                   capture_output=True)
    code, doc = _doctor(cli)
    (eph,) = _checks(doc, "ephemeral")
    assert eph["severity"] == "ok" and code == 0


def test_ephemeral_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from gitorch.ephemeral import detect

    monkeypatch.delenv("GITORCH_EPHEMERAL")
    assert detect() is None
    monkeypatch.setenv("GITPOD_WORKSPACE_ID", "abc")
    assert detect() == "Gitpod"
    monkeypatch.delenv("GITPOD_WORKSPACE_ID")
    monkeypatch.setenv("CLAUDE_CODE_WEB", "1")
    assert detect() is not None
    monkeypatch.delenv("CLAUDE_CODE_WEB")
    if os.geteuid() != 0:  # root can write anywhere
        home = tmp_path / "ro-home"
        home.mkdir()
        home.chmod(0o500)
        monkeypatch.setenv("HOME", str(home))
        assert detect() is not None and "not writable" in str(detect())


def test_legacy_state_and_loose_secret_files(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (repo / ".workflow_state.json").write_text('{"status": "active"}')
    secrets = repo / ".git" / "orch" / "secrets"
    secrets.mkdir(parents=True)
    (secrets / "TOKEN").write_text("v")
    (secrets / "TOKEN").chmod(0o644)
    code, doc = _doctor(cli)
    assert code == 1
    (leg,) = _checks(doc, "legacy")
    assert leg["severity"] == "warning" and "git orch migrate" in leg["fix"]
    perm = [f for f in _checks(doc, "permissions") if f["severity"] == "error"]
    assert perm and "TOKEN" in perm[0]["message"]


def test_a_check_that_crashes_does_not_hide_the_others(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gitorch.doctor as doctor

    def boom(_ctx: object) -> list[doctor.DoctorFinding]:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(doctor, "CHECKS", (boom, doctor.check_locks))
    found = diagnose(build_context(repo=find_repo(repo)))
    assert found[0].severity == "error" and "disk gone" in found[0].message
    assert not healthy(found) and len(found) >= 2


def test_foreign_branch_under_the_state_name_is_an_error(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(["git", "branch", "orch/state"], cwd=repo, check=True)  # a plain branch, not ours
    code, doc = _doctor(cli)
    (state,) = _checks(doc, "state")
    assert code == 1 and state["severity"] == "error" and "not a gitorch state branch" in state["message"]


def test_a_broken_config_is_a_finding_not_a_crash(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    subprocess.run(["git", "config", "orch.jobs", "lots"], cwd=repo, check=True)
    code, doc = _doctor(cli)
    (cfg,) = _checks(doc, "config")
    assert code == 1 and cfg["severity"] == "error" and "orch.jobs" in cfg["message"]


def test_hooks_installed_and_chained(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    hooks = repo / ".git" / "hooks"
    mine = hooks / "post-merge"
    mine.write_text("#!/bin/sh\necho my hook\n")
    mine.chmod(0o755)
    assert cli("hooks", "install").exit_code == 0
    code, doc = _doctor(cli)
    (hook,) = _checks(doc, "hooks")
    assert code == 0 and hook["severity"] == "ok" and "chained: post-merge" in hook["message"]
    kept = hooks / "post-merge.legacy"
    assert kept.exists()
    kept.chmod(0o644)  # the kept hook would silently stop running
    code, doc = _doctor(cli)
    assert code == 1
    assert any("post-merge.legacy" in f["message"] and f["severity"] == "warning"
               for f in _checks(doc, "hooks"))


def test_hooks_partly_replaced_is_a_warning(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("hooks", "install").exit_code == 0
    (repo / ".git" / "hooks" / "post-rewrite").write_text("#!/bin/sh\nexit 0\n")
    code, doc = _doctor(cli)
    (hook,) = _checks(doc, "hooks")
    assert code == 1 and "post-rewrite" in hook["message"] and "hooks install" in hook["fix"]


def test_self_check_of_an_installed_gitorch_needs_no_cache(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": "/proc/no-such-place"}
    env.pop("GITORCH_ZIPAPP", None)
    proc = subprocess.run(["git", "orch", "self-check", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    report = json.loads(proc.stdout)
    assert report["cache_writable"] is False and report["mode"] == "installed"
    assert proc.returncode == 0 and report["ok"] is True  # only the zipapp extracts into the cache


def test_doctor_takes_the_context_it_is_given(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks read the Context's settings (flags included), never look for their own."""
    from gitorch.doctor import check_state_branch

    ctx = build_context(repo=find_repo(repo), overrides={"state_branch": "elsewhere/state"})
    monkeypatch.chdir("/")  # a check that looked for the repository itself would fail here
    (state,) = check_state_branch(ctx)
    assert state.severity == "info" and "elsewhere/state" in state.message


def test_render_names_each_problem_and_its_fix() -> None:
    from gitorch.cli.doctor_cmd import render
    from gitorch.doctor import DoctorFinding

    found = [DoctorFinding("git", "ok", "git 2.43"),
             DoctorFinding("locks", "warning", "stale", "truncate it")]
    assert render(found, ok=False) == ["OK       git: git 2.43", "WARNING  locks: stale",
                                       "         fix: truncate it", "1 problem found"]
