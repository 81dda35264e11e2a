"""Faults during apply: every operation index, a real fault, a failed rollback, concurrency."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gitorch.config import open_store
from gitorch.repo import find_repo

from .fixtures import LINKS, statuses, tree_digest


def transitions(hub: Path) -> list[tuple[str, int | None]]:
    events = open_store(find_repo(hub)).events(types=["ws_transition"])
    return [(e.state, e.operation) for e in events]  # type: ignore[attr-defined]


def test_fault_at_every_operation_leaves_workspace_byte_identical(
        hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub.parent
    before, status = tree_digest(root), statuses(root)
    plan = json.loads(cli("ws", "plan", "--json").stdout)  # type: ignore[attr-defined]
    assert len(plan["operations"]) == len(LINKS)
    for index in range(len(plan["operations"])):
        monkeypatch.setenv("GITORCH_FAULT", f"apply:{index}")
        result: Any = cli("ws", "apply")
        assert result.exit_code == 1, result.output
        assert f"operation {index} " in result.output and "rolled back" in result.output
        assert "injected fault" in result.output
        assert tree_digest(root) == before, f"fault at {index} left changes"
        assert statuses(root) == status
        assert transitions(hub)[-1] == ("rolled_back", index)
    monkeypatch.delenv("GITORCH_FAULT")
    assert cli("ws", "apply").exit_code == 0  # type: ignore[attr-defined]


def _small_files_only() -> None:
    """In the child: files may grow to 32 KiB; a bigger write fails with EFBIG, not a signal."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def test_real_fault_mid_apply_rolls_back(hub: Path) -> None:
    """An operation rewrites a 64 KiB package.json in a process whose files may not grow
    past 32 KiB: a real OSError (EFBIG) from the kernel after four files were written."""
    from .fixtures import git

    root = hub.parent
    npm = root / "npmapp" / "package.json"
    npm.write_text(npm.read_text() + "\n" * 66000)  # JSON allows trailing whitespace
    git(root / "npmapp", "commit", "-qam", "a big manifest")
    before = tree_digest(root)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["git", "orch", "ws", "apply"], cwd=hub, capture_output=True, text=True,
                          env=env, preexec_fn=_small_files_only)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "npmapp/npmlib" in proc.stderr and "rolled back" in proc.stderr
    assert "File too large" in proc.stderr
    assert tree_digest(root) == before
    assert [s for s, _ in transitions(hub)][-3:] == ["verified", "executing", "rolled_back"]


def test_provider_removed_between_verify_and_apply(hub: Path, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    assert cli("ws", "plan", "--out", str(out)).exit_code == 0  # type: ignore[attr-defined]
    assert cli("ws", "verify", str(out)).exit_code == 0  # type: ignore[attr-defined]
    shutil.rmtree(hub.parent / "npmlib")
    before = tree_digest(hub.parent)
    result: Any = cli("ws", "apply", str(out))
    assert result.exit_code == 1
    assert "repo npmlib is not checked out" in result.output
    assert tree_digest(hub.parent) == before
    assert transitions(hub)[-1] == ("failed", None)


def test_failed_rollback_reports_exactly_what_is_left(
        hub: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = hub.parent
    plan = json.loads(cli("ws", "plan", "--json").stdout)  # type: ignore[attr-defined]
    targets = {op["index"]: op["target"] for op in plan["operations"]}
    monkeypatch.setenv("GITORCH_FAULT", "apply:3,rollback:1")
    result: Any = cli("ws", "apply")
    assert result.exit_code == 1
    assert "rollback of operation 1 failed" in result.output
    left = result.output.split("left for manual repair:")[1].strip().splitlines()
    assert len(left) == 2
    assert targets[1] in left[0] and targets[0] in left[1]
    # Operations 2 and 3 were undone; 0 and 1 are still there, as reported.
    dirty = {name for name, st in statuses(root).items() if st}
    assert dirty == {targets[0].split("/")[0], targets[1].split("/")[0]}
    assert transitions(hub)[-1] == ("failed", 3)


def _orch(hub: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(["git", "orch", *args], cwd=hub, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_two_applies_at_once(hub: Path, tmp_path: Path) -> None:
    procs = [_orch(hub, "ws", "apply") for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    # One applies. The other waited for the lock, then found its plan stale (exit 1), or had
    # planned after the first committed and found nothing left to do (exit 0), or was busy.
    assert codes[0] == 0 and codes[1] in (0, 1, 4), results
    snap = subprocess.run(["git", "orch", "ws", "snapshot", "--json"], cwd=hub, text=True,
                          capture_output=True, check=True)
    assert len(json.loads(snap.stdout)["links"]) == len(LINKS)
    # Nothing done twice or half: every consumer manifest holds its link exactly once.
    root = hub.parent
    assert (root / "app_uv/pyproject.toml").read_text().count("[tool.uv.sources]") == 1
    assert (root / "rapp/.cargo/config.toml").read_text().count("[patch.crates-io]") == 1
    assert (root / "goapp/go.work").read_text().count("replace ") == 1
    states = [s for s, _ in transitions(hub)]
    assert states.count("executing") == states.count("committed") + states.count("rolled_back")
    assert "failed" not in states or codes[1] == 1


def test_busy_lock_exits_4_naming_the_holder(hub: Path) -> None:
    from gitorch.context import build_context
    from gitorch.workspace.record import WorkspaceRecorder

    before = tree_digest(hub.parent)
    with WorkspaceRecorder(build_context(cwd=hub).store).lock():
        proc = _orch(hub, "ws", "apply", env={"GITORCH_LOCK_TIMEOUT": "0.2"})
        code = proc.wait(timeout=60)
    assert code == 4
    assert str(os.getpid()) in (proc.stderr.read() if proc.stderr else "")
    assert tree_digest(hub.parent) == before


def test_stale_lock_from_dead_process_is_taken_over(hub: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from gitorch.context import build_context\n"
         "from gitorch.workspace.record import WorkspaceRecorder\n"
         "lock = WorkspaceRecorder(build_context().store).lock(); lock.__enter__()\n"
         "print('held', flush=True); time.sleep(120)\n"],
        cwd=hub, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    start = time.monotonic()
    proc = _orch(hub, "ws", "apply", env={"GITORCH_LOCK_TIMEOUT": "5"})
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    assert time.monotonic() - start < 30


def test_killed_mid_apply_then_apply_again_and_teardown_exactly(hub: Path) -> None:
    """The process dies (as by SIGKILL) before operation 3: the next apply adopts the three
    links already made, finishes the rest, and teardown still restores every byte."""
    root = hub.parent
    before = tree_digest(root)
    proc = _orch(hub, "ws", "apply", env={"GITORCH_FAULT": "crash:3"})
    assert proc.wait(timeout=120) == 137
    assert sum(1 for st in statuses(root).values() if st) == 3
    assert transitions(hub)[-1] == ("executing", None)
    proc = _orch(hub, "ws", "apply")
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    states = [s for s, _ in transitions(hub)]
    assert "failed" in states[-7:] and states[-1] == "committed"
    # The Go and Cargo links are in overlays git ignores: their repos stay clean.
    assert sum(1 for st in statuses(root).values() if st) == len(LINKS) - 2
    assert (root / "goapp/go.work").exists() and (root / "rapp/.cargo/config.toml").exists()
    proc = _orch(hub, "ws", "teardown")
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    assert tree_digest(root) == before
    assert all(st == "" for st in statuses(root).values())


def test_killed_mid_apply_then_teardown_straight_away(hub: Path) -> None:
    """No second apply: observe names the interrupted apply, teardown undoes its links."""
    root = hub.parent
    before = tree_digest(root)
    assert _orch(hub, "ws", "apply", env={"GITORCH_FAULT": "crash:3"}).wait(timeout=120) == 137
    proc = _orch(hub, "ws", "observe", "--json")
    assert proc.wait(timeout=120) == 1
    findings = json.loads(proc.stdout.read() if proc.stdout else "")["findings"]
    assert [f["kind"] for f in findings] == ["interrupted"]
    proc = _orch(hub, "ws", "teardown")
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    assert tree_digest(root) == before
    assert all(st == "" for st in statuses(root).values())


def test_rolled_back_first_attach_does_not_leave_a_stale_base(hub: Path) -> None:
    """The clone fails and rolls back; the user drops that repo from the manifest, applies
    and tears down: the result matches the workspace as it was, not the failed attempt."""
    root = hub.parent
    manifest = hub / "workspace.toml"
    original = manifest.read_bytes()
    manifest.write_bytes(original + b'\n[[repos]]\nname = "gone"\npath = "../gone"\n'
                                    b'url = "http://127.0.0.1:9/gone.git"\n')
    proc = _orch(hub, "ws", "apply")
    assert proc.wait(timeout=120) == 1
    assert "rolled back" in (proc.stderr.read() if proc.stderr else "")
    assert [s for s, _ in transitions(hub)][-1] == "rolled_back"
    manifest.write_bytes(original)
    before = tree_digest(root)
    assert _orch(hub, "ws", "apply").wait(timeout=120) == 0
    proc = _orch(hub, "ws", "teardown", "--json")
    assert proc.wait(timeout=120) == 0, proc.stdout.read() if proc.stdout else ""
    assert tree_digest(root) == before
