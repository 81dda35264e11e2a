"""`git orch migrate`: dry run, import, idempotence, removal, rollback, bad input, kills."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from legacy_fixtures import snapshot, write_all, write_codex_runs, write_contained, write_scattered

from gitorch.repo import find_repo


def _sh(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def _refs(repo: Path) -> str:
    return _sh(repo, "for-each-ref")


def _events(orch, repo: Path) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """Events as `git orch events --json` gives them (through the store until that command exists)."""
    if orch("events", "-h", cwd=repo).returncode == 0:
        proc = orch("events", "--json", cwd=repo)
        assert proc.returncode == 0, proc.stderr
        text = proc.stdout.strip()
        doc = json.loads(text) if text.startswith("[") else [json.loads(x) for x in text.splitlines()]
        return doc if isinstance(doc, list) else doc.get("events", [])
    from gitorch.config import open_store
    from gitorch.events import to_builtins

    return [to_builtins(e) for e in open_store(find_repo(repo)).events()]


def _records(repo: Path) -> list[dict]:  # type: ignore[type-arg]
    listing = subprocess.run(["git", "ls-tree", "--name-only", "orch/state", "migrations/"], cwd=repo,
                             capture_output=True, text=True).stdout.split()
    return [json.loads(_sh(repo, "show", f"orch/state:{p}")) for p in listing]


def test_dry_run_changes_nothing(repo: Path, orch) -> None:  # type: ignore[no-untyped-def]
    expected = write_all(repo)
    before, refs = snapshot(repo), _refs(repo)
    proc = orch("migrate", "--dry-run", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["action"] == "dry-run"
    assert [f["path"] for f in doc["files"]] == expected
    assert all(f["size"] > 0 and len(f["sha256"]) == 64 for f in doc["files"])
    assert doc["events"] == 16 and doc["event_types"]["task_started"] == 1
    assert doc["excluded"] == [".orchestrator/secrets/"]
    human = orch("migrate", "--dry-run", cwd=repo)
    assert "would import 8 files" in human.stdout and "bytes" in human.stdout
    assert snapshot(repo) == before and _refs(repo) == refs
    assert not (repo / ".git" / "orch" / "locks" / "migrate.lock").exists()


@pytest.mark.parametrize("layout", [write_scattered, write_contained, write_codex_runs])
def test_each_layout_imports_its_history(repo: Path, inproc, layout) -> None:  # type: ignore[no-untyped-def]
    files = layout(repo)
    before = snapshot(repo)
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert f"imported {len(files)} legacy files" in proc.stdout
    events = _events(inproc, repo)
    legacy = [e for e in events if e.get("session") == "legacy"]
    assert any(e["type"] == "migrated" and sorted(e["files"]) == sorted(files) for e in legacy)
    if layout is write_codex_runs:
        typed = [e["type"] for e in legacy if e["type"] != "migrated"]
        assert typed == ["task_started", "command_run", "acceptance_passed", "task_completed"]
        run = [e for e in legacy if e["type"] == "command_run"][0]
        assert run["ts"] == "2025-09-22T11:03:20.000Z" and run["cmd"] == "cargo test"
        assert run["task"] == "EXC-001" and run["run"] == "legacy:20250922T110314Z"
    if layout is write_contained:
        kinds = {e.get("kind") for e in legacy}
        assert "legacy:phase_advanced" in kinds and "legacy_state" in kinds and "legacy_run" in kinds
        assert [e["ts"] for e in legacy if e["type"] == "run_started" and e["run"] == "legacy:wf_9f00"] == [
            "2025-12-01T09:00:02.000Z"]
        assert "sk-never-imported" not in _sh(repo, "log", "-p", "orch/state")
    (record,) = _records(repo)
    assert sorted(f["path"] for f in record["files"]) == sorted(files)
    for f in record["files"]:
        assert _sh(repo, "show", f"orch/state:{f['stored']}").encode() == before[f["path"]]
    assert snapshot(repo) == before  # legacy files stay until --remove-legacy


def test_second_migrate_is_a_no_op_that_says_so(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    write_all(repo)
    assert inproc("migrate", cwd=repo).returncode == 0
    tip = _sh(repo, "rev-parse", "orch/state")
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 0 and "already migrated" in proc.stdout
    assert _sh(repo, "rev-parse", "orch/state") == tip


def test_remove_legacy_only_removes_unchanged_files(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    write_all(repo)
    assert inproc("migrate", cwd=repo).returncode == 0
    (repo / ".workflow_state.json").write_text('{"changed": true}')
    proc = inproc("migrate", "--remove-legacy", cwd=repo)
    # The changed file is reported as a conflict before anything is removed.
    assert proc.returncode == 5 and "--prefer" in proc.stderr
    proc = inproc("migrate", "--prefer", "state", cwd=repo)
    assert proc.returncode == 0 and "kept the state branch" in proc.stdout
    proc = inproc("migrate", "--remove-legacy", "--json", cwd=repo)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert ".workflow_state.json" not in doc["removed"] and len(doc["removed"]) == 7
    assert (repo / ".workflow_state.json").read_text() == '{"changed": true}'
    assert not (repo / ".codex").exists() and not (repo / ".orchestrator" / "sessions").exists()
    assert (repo / ".orchestrator" / "secrets" / "OPENAI_API_KEY").exists()


def test_rollback_restores_byte_for_byte_without_rewriting_history(repo: Path, inproc, backend: str) -> None:  # type: ignore[no-untyped-def]
    write_all(repo)  # on both git backends: rollback writes through the store's objects
    os.chmod(repo / ".workflow_log.jsonl", 0o600)
    before = snapshot(repo)
    assert inproc("migrate", "--remove-legacy", cwd=repo).returncode == 0
    assert not (repo / ".workflow_state.json").exists()
    migrated_tip = _sh(repo, "rev-parse", "orch/state").strip()
    proc = inproc("migrate", "--rollback", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "restored 8 legacy files" in proc.stdout
    assert snapshot(repo) == before
    assert oct((repo / ".workflow_log.jsonl").stat().st_mode & 0o777) == oct(0o600)
    tree = _sh(repo, "ls-tree", "-r", "--name-only", "orch/state")
    assert not [p for p in tree.splitlines() if p.startswith("legacy/")]
    assert subprocess.run(["git", "merge-base", "--is-ancestor", migrated_tip, "orch/state"],
                          cwd=repo).returncode == 0
    # On the branch the imported events are gone (`events` shows the restored files again,
    # read in place: dual-read until the next migration).
    from gitorch.config import open_store

    with open_store(find_repo(repo)) as store:
        on_branch = store.events()
    kept = ("LegacyRecord", "LegacyRemoved", "MigrationRolledBack")  # what removal and rollback say
    assert not [e for e in on_branch if e.session == "legacy" and type(e).__name__ not in kept]
    assert [e for e in _events(inproc, repo) if e["type"] == "task_started" and e.get("session") == "legacy"]
    (record,) = _records(repo)
    assert record["rolled_back"]
    # Rolled back: a new migrate imports again, and the notice is back.
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 0 and "imported 8 legacy files" in proc.stdout


def test_concurrent_migrates_import_once(repo: Path) -> None:
    write_all(repo)
    procs = [subprocess.Popen(["git", "orch", "migrate"], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert sum("imported 8 legacy files" in out for out, _err in outs) == 1
    assert sum("already migrated" in out for out, _err in outs) == 2
    assert len(_records(repo)) == 1


def test_rollback_with_nothing_to_roll_back(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    proc = inproc("migrate", "--rollback", cwd=repo)
    assert proc.returncode == 2
    assert "nothing to roll back" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_json_is_reported_and_skipped_only_on_request(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    write_scattered(repo)
    write_codex_runs(repo)
    (repo / ".orchestrator").mkdir()
    (repo / ".orchestrator" / "meta.json").write_text('{"created": ')
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 2
    assert ".orchestrator/meta.json: not valid JSON (line 1)" in proc.stderr
    assert "--skip-bad" in proc.stderr and "orch/state" not in _refs(repo)
    dry = inproc("migrate", "--dry-run", cwd=repo)  # the same decision, before anything is written
    assert dry.returncode == 2 and "the migration would refuse" in dry.stdout
    proc = inproc("migrate", "--skip-bad", cwd=repo)
    assert proc.returncode == 0 and "imported 3 legacy files" in proc.stdout
    (record,) = _records(repo)
    assert record["skipped"][0]["path"] == ".orchestrator/meta.json"


def test_symlinked_legacy_paths_are_reported_never_followed(repo: Path, inproc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.json"
    outside.write_text('{"private": "do-not-import-me"}')
    (repo / ".workflow_state.json").symlink_to(outside)
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "x.jsonl").write_text('{"type": "task_started", "secret": "nor-me"}\n')
    (repo / ".codex").mkdir()
    (repo / ".codex" / "runs").symlink_to(tmp_path / "runs")
    write_contained(repo)
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "symlink .workflow_state.json: reported, not followed" in proc.stdout
    assert "symlink .codex/runs" in proc.stdout
    history = _sh(repo, "log", "-p", "orch/state")
    assert "do-not-import-me" not in history and "nor-me" not in history
    assert (repo / ".workflow_state.json").is_symlink()


def test_prefer_legacy_imports_only_what_is_new(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    write_codex_runs(repo)
    assert inproc("migrate", cwd=repo).returncode == 0
    with open(repo / ".codex" / "runs" / "20250922T110314Z.jsonl", "a") as fh:
        fh.write(json.dumps({"ts": "2025-09-22T11:04:00Z", "type": "completed"}) + "\n")
    proc = inproc("migrate", cwd=repo)
    assert proc.returncode == 5 and "differ" in proc.stderr
    proc = inproc("migrate", "--prefer", "legacy", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["event_types"] == {"completed": 1, "migrated": 1}
    legacy = [e for e in _events(inproc, repo) if e.get("run") == "legacy:20250922T110314Z"]
    assert [e["type"] for e in legacy].count("task_started") == 1 and legacy[-1]["type"] == "completed"
    assert inproc("migrate", cwd=repo).stdout.startswith("already migrated")


def test_bad_prefer_value(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    write_scattered(repo)
    proc = inproc("migrate", "--prefer", "newest", cwd=repo)
    assert proc.returncode == 2 and "--prefer takes legacy or state" in proc.stderr


def test_notice_once_and_dual_read(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    from gitorch.migrate import legacy_events, legacy_notice

    r = find_repo(repo)
    assert legacy_notice(r) is None
    write_codex_runs(repo)
    text = legacy_notice(r)
    assert text is not None and "git orch migrate" in text and text.startswith("╔")
    assert legacy_notice(r) is None  # one time
    assert legacy_notice(r, once=False) is not None
    assert [type(e).__name__ for e in legacy_events(r)][:1] == ["TaskStarted"]
    assert "orch/state" not in _refs(repo)  # reading never migrates
    assert inproc("migrate", cwd=repo).returncode == 0
    assert legacy_notice(r, once=False) is None and legacy_events(r) == []


@pytest.mark.slow
def test_kill_at_a_random_moment_leaves_none_or_all(repo: Path) -> None:
    from gitorch.config import open_store
    from gitorch.events import LegacyRecord, MigrationRolledBack
    from gitorch.migrate.record import read_records

    big = repo / ".codex" / "runs"
    big.mkdir(parents=True)
    lines = "".join(json.dumps({"ts": f"2025-09-22T11:{i // 60 % 60:02d}:{i % 60:02d}Z",
                                "type": "command_run", "task": f"T{i}", "cmd": "make", "status": 0}) + "\n"
                    for i in range(1000))
    for n in range(3):
        (big / f"run{n}.jsonl").write_text(lines)
    expected = 3 * 1000 + 1  # every line, plus the migration's summary

    def state() -> tuple[int, int]:
        store = open_store(find_repo(repo))
        if not store.exists():
            return 0, 0
        active = [r for r in read_records(store) if r.active]
        imported = [e for e in store.events() if e.session == "legacy"
                    and not isinstance(e, LegacyRecord | MigrationRolledBack)]
        return len(active), len(imported)

    def rollback() -> None:
        subprocess.run(["git", "orch", "migrate", "--rollback"], cwd=repo, check=True, capture_output=True)

    start = time.monotonic()
    subprocess.run(["git", "orch", "migrate"], cwd=repo, check=True, capture_output=True)
    full = time.monotonic() - start
    assert state() == (1, expected)
    rollback()
    assert state() == (0, 0)
    rng = random.Random(7)
    outcomes = []
    for _trial in range(4):
        proc = subprocess.Popen(["git", "orch", "migrate"], cwd=repo, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 * full, 1.4 * full))  # around the commit, where it matters
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        active, imported = state()
        assert (active, imported) in ((0, 0), (1, expected)), (active, imported)
        outcomes.append("complete" if active else "none")
        if active:
            rollback()
    # Whatever the moment, a later migrate finishes the job.
    subprocess.run(["git", "orch", "migrate"], cwd=repo, check=True, capture_output=True)
    assert state() == (1, expected)
    print("kill outcomes:", outcomes)
