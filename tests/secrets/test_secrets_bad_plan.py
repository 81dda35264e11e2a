"""`secrets doctor`/`doctor` with a plan file they cannot use: a message, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner


def test_named_plan_file_that_is_missing_is_exit_2(repo: Path, orch: OrchRunner) -> None:
    proc = orch("secrets", "doctor", "--file", "nope.yml", "--json", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["message"] == "nope.yml: plan file not found"
    doctor = orch("doctor", "--file", "nope.yml", "--json", cwd=repo)
    secrets = [f for f in json.loads(doctor.stdout)["findings"] if f["check"] == "secrets"]
    assert secrets and "plan file not found" in secrets[0]["message"]


def test_a_wrongly_shaped_plan_still_gets_its_secrets_checked(repo: Path, orch: OrchRunner) -> None:
    (repo / "orchestrator.yml").write_text("version: 1\ntasks: 5\ninclude: 7\nsecrets: [API_TOKEN]\n")
    proc = orch("secrets", "doctor", "--json", cwd=repo)
    assert proc.returncode == 1, proc.stderr  # missing, not an internal error (70)
    assert [s["name"] for s in json.loads(proc.stdout)["secrets"]] == ["API_TOKEN"]


def test_a_blank_secret_value_is_refused(repo: Path, orch: OrchRunner) -> None:
    proc = orch("secrets", "set", "API_TOKEN", input="   \n", cwd=repo)
    assert proc.returncode == 2 and "only whitespace" in proc.stderr
    assert not (repo / ".git" / "orch" / "secrets" / "API_TOKEN").exists()
    assert orch("secrets", "set", "API_TOKEN", input="\n", cwd=repo).returncode == 2
    assert orch("secrets", "set", "API_TOKEN", input=" a b \n", cwd=repo).returncode == 0


def test_a_value_no_environment_can_hold_is_refused_and_never_crashes_a_run(
    repo: Path, orch: OrchRunner,
) -> None:
    """A NUL byte in a secret was stored, then `run` died with ValueError (exit 70, tasks left
    in_progress). `secrets set` refuses it; one written by hand fails only its task."""
    proc = orch("secrets", "set", "TOK", input="a\0b", cwd=repo)
    assert proc.returncode == 2 and "NUL byte" in proc.stderr and "a\0b" not in proc.stderr
    assert orch("secrets", "set", "BIG", input="x" * 200_000, cwd=repo).returncode == 2
    store = repo / ".git" / "orch" / "secrets"
    store.mkdir(parents=True, exist_ok=True)
    (store / "TOK").write_bytes(b"a\0b")
    (repo / "orchestrator.yml").write_text(
        "version: 1\ntasks:\n  - {id: s, secrets: [TOK], commands: {x: 'true'}}\n"
        "  - {id: t, commands: {x: 'true'}}\n")
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1 and "its value" in proc.stdout and "NUL byte" in proc.stdout, proc.stderr
    doc = json.loads(orch("status", "--json", cwd=repo).stdout)
    assert {t["id"]: t["state"] for t in doc["tasks"]} == {"s": "failed", "t": "completed"}
    assert orch("secrets", "doctor", cwd=repo).returncode == 1
