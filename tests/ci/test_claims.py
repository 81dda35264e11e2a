"""Claims on a bare remote: one winner per race, expiry and takeover, renew and release, the CLI."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from gitorch.ci import claims as cl
from tests.ci.conftest import cli
from tests.conftest import git

# The default suite races 10 rounds; GITORCH_CLAIM_ROUNDS=100 runs the full figure.
ROUNDS = int(os.environ.get("GITORCH_CLAIM_ROUNDS", "10"))
CLAIMANTS = 8


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, list[Path]]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "README.md").write_text("# r\n")
    git(seed, "add", "README.md")
    git(seed, "commit", "-qm", "init")
    git(seed, "push", "-q", str(remote), "main")
    paths = []
    for i in range(CLAIMANTS):
        path = tmp_path / f"c{i}"
        git(tmp_path, "clone", "-q", str(remote), str(path))
        paths.append(path)
    return remote, paths


def _race(paths: list[Path], attempt: object) -> list[cl.Claim | None]:
    """Every clone tries at once (a barrier before the git processes start)."""
    barrier = threading.Barrier(len(paths))
    out: list[cl.Claim | None] = [None] * len(paths)

    def go(i: int) -> None:
        barrier.wait()
        out[i] = attempt(i, paths[i])  # type: ignore[operator]

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _remote_oid(remote: Path, ref: str) -> str | None:
    out = git(remote, "for-each-ref", "--format=%(objectname)", ref)
    return out or None


def test_eight_clones_race_exactly_one_wins_every_round(clones: tuple[Path, list[Path]]) -> None:
    remote, paths = clones
    for r in range(ROUNDS):
        task = f"task{r}"
        won = _race(paths, lambda i, p, task=task: cl.try_claim(p, "origin", "plan", task, f"h{i}"))
        winners = [c for c in won if c is not None]
        assert len(winners) == 1, f"round {r}: {len(winners)} winners"
        assert _remote_oid(remote, cl.claim_ref("plan", task)) == winners[0].oid


def test_an_expired_claim_is_taken_over_once(clones: tuple[Path, list[Path]]) -> None:
    remote, paths = clones
    assert cl.try_claim(paths[0], "origin", "plan", "live", "other", ttl=60) is not None
    assert cl.try_claim(paths[1], "origin", "plan", "live", "h1",
                        current=cl.read_claims(paths[1], "origin", "plan")["live"]) is None  # not expired
    old = cl.try_claim(paths[0], "origin", "plan", "t", "gone", ttl=0.05)
    assert old is not None
    time.sleep(0.1)
    seen = [cl.read_claims(p, "origin", "plan")["t"] for p in paths]
    won = _race(paths, lambda i, p: cl.try_claim(p, "origin", "plan", "t", f"h{i}", current=seen[i]))
    winners = [c for c in won if c is not None]
    assert len(winners) == 1 and winners[0].holder != "gone"
    assert cl.read_claims(paths[0], "origin", "plan")["t"].holder == winners[0].holder


def test_renew_and_release_are_leased_on_the_claim(clones: tuple[Path, list[Path]]) -> None:
    remote, paths = clones
    claim = cl.try_claim(paths[0], "origin", "plan", "t", "me", ttl=60)
    assert claim is not None
    renewed = cl.renew(paths[0], "origin", claim, ttl=120)
    assert renewed is not None and renewed.expires > claim.expires
    assert cl.renew(paths[0], "origin", claim) is None  # the old commit is no longer the claim
    assert cl.release(paths[0], "origin", claim) is False
    assert cl.release(paths[0], "origin", renewed) is True
    assert _remote_oid(remote, cl.claim_ref("plan", "t")) is None


def test_next_claim_and_run_claim(tmp_path: Path) -> None:
    from tests.ci.conftest import PLAN

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    a.mkdir()
    git(a, "init", "-q", "-b", "main")
    (a / "orchestrator.yml").write_text(PLAN)
    (a / "README.md").write_text("# r\n")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "plan")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "origin", "main")
    b = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(remote), str(b))
    code, out, err = cli(a, "next", "--claim")
    assert code == 0 and "claimed lint" in out, err
    code, out, _ = cli(b, "next", "--claim")
    assert code == 1 and "lint: held by" in out
    code, out, err = cli(b, "run", "--claim")
    assert code == 2 and "no live claim of yours" in err
    code, out, err = cli(a, "run", "--claim", env={"API_TOKEN": "x"})
    assert code == 0, out + err
    assert _remote_oid(remote, "refs/orch/claims/orchestrator.yml/lint") is None  # released
    code, out, err = cli(b, "next", "--claim")  # b pulls the state: lint is done
    assert code == 0 and "claimed build.x" in out, out + err
    code, _, err = cli(b, "next", "--claim", "--remote", "nowhere")
    assert code == 2 and "cannot reach remote 'nowhere'" in err  # was 1, read as "nothing claimed"


def test_run_claim_renews_the_claim_while_the_task_runs(tmp_path: Path) -> None:
    import subprocess

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    a.mkdir()
    git(a, "init", "-q", "-b", "main")
    (a / "orchestrator.yml").write_text("version: 1\ntasks:\n  - id: slow\n    commands: {s: 'sleep 5'}\n")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "plan")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "origin", "main")
    code, out, err = cli(a, "next", "--claim", "--ttl", "4")
    assert code == 0 and "claimed slow" in out, err
    ref = "refs/orch/claims/orchestrator.yml/slow"
    first = _remote_oid(remote, ref)
    run = subprocess.Popen(["git", "orch", "run", "--claim"], cwd=a, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    seen = {first}
    while run.poll() is None:
        seen.add(_remote_oid(remote, ref))
        time.sleep(0.1)
    out, err = run.communicate()
    assert run.returncode == 0, out + err
    assert len(seen - {None}) >= 2  # renewed (a new commit leased on the old one) while it ran
    assert _remote_oid(remote, ref) is None  # released at the end


def test_claims_follow_the_plan_of_the_latest_run(tmp_path: Path) -> None:
    """`next` offers the latest run's plan (release.yml here): the claim is filed under that
    plan and `run --claim` without --file runs it (it used to claim under orchestrator.yml)."""
    from tests.ci.conftest import orch

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    a = tmp_path / "a"
    a.mkdir()
    git(a, "init", "-q", "-b", "main")
    (a / "orchestrator.yml").write_text("version: 1\ntasks:\n  - id: other\n    commands: {x: 'true'}\n")
    (a / "release.yml").write_text(
        "version: 1\ntasks:\n  - id: build\n    commands: {x: 'true'}\n"
        "  - id: notes\n    commands: {x: 'true'}\n")
    git(a, "add", "-A")
    git(a, "commit", "-qm", "plans")
    git(a, "remote", "add", "origin", str(remote))
    git(a, "push", "-q", "origin", "main")
    code, _, err = orch(a, "run", "--file", "release.yml", "--task", "build")
    assert code == 0, err
    code, out, err = orch(a, "next", "--claim")
    assert code == 0 and "claimed notes" in out, out + err
    assert "--file release.yml" in out
    assert _remote_oid(remote, "refs/orch/claims/release.yml/notes") is not None
    code, out, err = orch(a, "run", "--claim")
    assert code == 0, out + err
    assert _remote_oid(remote, "refs/orch/claims/release.yml/notes") is None  # done and released
