"""Gates in CI: a `--local-gate` job waits for an approval given in the state branch."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.ci.conftest import PLAN, cli
from tests.conftest import git


def _clones(tmp_path: Path) -> tuple[Path, Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    user = tmp_path / "user"
    user.mkdir()
    git(user, "init", "-q", "-b", "main")
    (user / "orchestrator.yml").write_text(PLAN)
    git(user, "add", "-A")
    git(user, "commit", "-qm", "plan")
    git(user, "remote", "add", "origin", str(remote))
    git(user, "push", "-q", "origin", "main")
    job = tmp_path / "job"
    git(tmp_path, "clone", "-q", str(remote), str(job))
    return remote, user, job


def test_a_local_gate_job_waits_for_the_approval_in_the_state(tmp_path: Path) -> None:
    remote, user, job = _clones(tmp_path)
    env = {**os.environ, "GITORCH_CI_RUN": "ci-1"}
    waiter = subprocess.Popen(["git", "orch", "ci", "wait-approval", "--gate", "deploy", "--task", "deploy",
                               "--every", "0.2", "--timeout", "120s"], cwd=job, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not git(remote, "for-each-ref", "refs/heads/orch/state"):  # the job says it waits
            assert waiter.poll() is None, waiter.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert waiter.poll() is None  # still waiting: nobody approved
        for args in (["sync"], ["approve", "deploy", "--task", "deploy", "--by", "ops"], ["sync"]):
            code, out, err = cli(user, *args)
            assert code == 0, out + err
        out, err = waiter.communicate(timeout=60)
    finally:
        if waiter.poll() is None:
            waiter.kill()
    assert waiter.returncode == 0, out + err
    assert "deploy approved" in out


def test_no_approval_in_time_ends_paused(tmp_path: Path) -> None:
    _remote, _user, job = _clones(tmp_path)
    code, _, err = cli(job, "ci", "wait-approval", "--gate", "deploy", "--task", "deploy", "--every", "0.1",
                       "--timeout", "1s", env={"GITORCH_CI_RUN": "ci-2"})
    assert code == 3 and "no approval of deploy within 1s" in err
    code, _, err = cli(job, "ci", "wait-approval", "--gate", "deploy", "--task", "lint",
                       env={"GITORCH_CI_RUN": "ci-2"})
    assert code == 2 and "task lint has no gate 'deploy'" in err
