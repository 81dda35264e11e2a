"""`git orch secrets set|doctor|test|unset` through the real CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

PLAN = """\
version: 1
secrets: [API_TOKEN]
secret_probes:
  API_TOKEN: 'test "$API_TOKEN" = good-token || { echo "bad token $API_TOKEN"; exit 1; }'
tasks:
  - id: deploy
    secrets: [DEPLOY_KEY]
"""


def test_set_reads_stdin_and_stores_privately(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    proc = inproc("secrets", "set", "API_TOKEN", input="good-token\n", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert "good-token" not in proc.stdout + proc.stderr
    path = repo / ".git" / "orch" / "secrets" / "API_TOKEN"
    assert path.read_text() == "good-token"  # the newline echo adds is not part of it
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The value is never accepted as an argument.
    proc = inproc("secrets", "set", "API_TOKEN", "good-token", cwd=repo)
    assert proc.returncode == 2


def test_user_scope(repo: Path, inproc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = inproc("secrets", "set", "SHARED", "--user", "--json", input="multi\nline\n", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    where = json.loads(proc.stdout)["where"]
    assert Path(where).read_text() == "multi\nline"
    assert inproc("secrets", "unset", "SHARED", "--user", cwd=repo).returncode == 0
    assert not Path(where).exists()


def test_doctor_lists_present_and_missing_without_values(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    (repo / "orchestrator.yml").write_text(PLAN)
    inproc("secrets", "set", "API_TOKEN", input="good-token", cwd=repo)
    proc = inproc("secrets", "doctor", "--json", cwd=repo)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    by_name = {s["name"]: s for s in doc["secrets"]}
    assert by_name["API_TOKEN"]["present"] and by_name["API_TOKEN"]["source"] == "repo"
    assert not by_name["DEPLOY_KEY"]["present"] and by_name["DEPLOY_KEY"]["used_by"] == ["task deploy"]
    assert "git orch secrets set DEPLOY_KEY" in by_name["DEPLOY_KEY"]["where"]
    assert "good-token" not in proc.stdout
    proc = inproc("secrets", "doctor", cwd=repo, env={"DEPLOY_KEY": "k"})
    assert proc.returncode == 0 and "present (from: env" in proc.stdout


def test_probe_passes_and_fails_with_the_value_masked(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    (repo / "orchestrator.yml").write_text(PLAN)
    inproc("secrets", "set", "API_TOKEN", input="good-token", cwd=repo)
    proc = inproc("secrets", "test", "API_TOKEN", cwd=repo)
    assert proc.returncode == 0 and proc.stdout.startswith("ok")
    inproc("secrets", "set", "API_TOKEN", input="wrong-token-123", cwd=repo)
    proc = inproc("secrets", "test", "API_TOKEN", cwd=repo)
    assert proc.returncode == 1 and "FAILED" in proc.stdout
    assert "bad token ***" in proc.stdout and "wrong-token-123" not in proc.stdout
    proc = inproc("secrets", "test", "DEPLOY_KEY", "--json", cwd=repo)
    assert proc.returncode == 1 and json.loads(proc.stdout)["present"] is False


def test_bad_names_and_empty_values(repo: Path, inproc) -> None:  # type: ignore[no-untyped-def]
    proc = inproc("secrets", "set", "MY SECRET", input="x", cwd=repo)
    assert proc.returncode == 2 and "invalid secret name 'MY SECRET'" in proc.stderr
    proc = inproc("secrets", "test", "1BAD", cwd=repo)
    assert proc.returncode == 2
    proc = inproc("secrets", "set", "EMPTY", input="", cwd=repo)
    assert proc.returncode == 2 and "no value" in proc.stderr
    (repo / "orchestrator.yml").write_text("version: 1\ntasks:\n  - id: a\n    secrets: [\"BAD NAME\"]\n")
    proc = inproc("secrets", "doctor", cwd=repo)
    assert proc.returncode == 2 and "invalid secret name" in proc.stderr
