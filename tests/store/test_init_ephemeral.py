"""`git orch init` on an ephemeral machine: portable state by default, and the way to keep it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import OrchRunner, git

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends


def _clone(tmp_path: Path, bare_remote: Path) -> Path:
    git(tmp_path, "clone", "-q", str(bare_remote), "clone")
    return tmp_path / "clone"


def test_init_is_portable_on_an_ephemeral_machine(
    tmp_path: Path, bare_remote: Path, orch: OrchRunner
) -> None:
    clone = _clone(tmp_path, bare_remote)
    proc = orch("init", cwd=clone, env={"GITORCH_EPHEMERAL": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "git orch sync" in proc.stdout
    pushes = git(clone, "config", "--get-all", "remote.origin.push").splitlines()
    assert "refs/heads/orch/state*:refs/heads/orch/state*" in pushes
    assert git(clone, "config", "orch.portable") == "true"
    assert git(clone, "status", "--porcelain") == ""

    doctor = json.loads(orch("doctor", "--json", cwd=clone, env={"GITORCH_EPHEMERAL": "1"}).stdout)
    assert [f["severity"] for f in doctor["findings"] if f["check"] == "ephemeral"] == ["warning"]
    assert orch("sync", cwd=clone, env={"GITORCH_EPHEMERAL": "1"}).returncode == 0
    doctor = json.loads(orch("doctor", "--json", cwd=clone, env={"GITORCH_EPHEMERAL": "1"}).stdout)
    assert [f["severity"] for f in doctor["findings"] if f["check"] == "ephemeral"] == ["ok"]


def test_no_portable_and_a_normal_machine_leave_the_remote_alone(
    tmp_path: Path, bare_remote: Path, orch: OrchRunner
) -> None:
    clone = _clone(tmp_path, bare_remote)
    proc = orch("init", "--no-portable", "--json", cwd=clone, env={"GITORCH_EPHEMERAL": "1"})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["portable"] == [] and out["ephemeral"] == "forced by GITORCH_EPHEMERAL"
    assert orch("init", cwd=clone).returncode == 0
    assert "orch/state" not in git(clone, "config", "--list")


def test_a_template_that_fails_leaves_no_state_branch(repo: Path, orch: OrchRunner) -> None:
    proc = orch("init", "--template", str(repo / "no-such-template"), "--portable", "--json", cwd=repo)
    assert proc.returncode == 2 and "not found" in json.loads(proc.stdout)["message"]
    assert "orch/state" not in git(repo, "for-each-ref")
    assert "orch.portable" not in git(repo, "config", "--list")


def test_remote_implies_portable(tmp_path: Path, bare_remote: Path, orch: OrchRunner) -> None:
    clone = _clone(tmp_path, bare_remote)
    proc = orch("init", "--remote", "origin", "--no-portable", cwd=clone)
    assert proc.returncode == 2 and "--no-portable" in proc.stderr
    assert orch("init", "--remote", "origin", cwd=clone).returncode == 0
    assert "refs/heads/orch/state*:refs/heads/orch/state*" in git(clone, "config", "--get-all",
                                                                    "remote.origin.push")
