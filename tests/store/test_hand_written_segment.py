"""A segment written by hand (no `session` field): its events belong to the folder they are in."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import OrchRunner, git


def _add_blob(repo: Path, path: str, data: str) -> None:
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=data.encode(),
                          capture_output=True, check=True).stdout.decode().strip()
    env = {**os.environ, "GIT_INDEX_FILE": str(repo / ".git" / "hand-index")}
    subprocess.run(["git", "read-tree", "orch/state"], cwd=repo, env=env, check=True)
    subprocess.run(["git", "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"], cwd=repo,
                   env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=repo, env=env, capture_output=True,
                          check=True).stdout.decode().strip()
    (repo / ".git" / "hand-index").unlink()
    commit = git(repo, "commit-tree", tree, "-p", "orch/state", "-m", "by hand")
    git(repo, "update-ref", "refs/heads/orch/state", commit)


def test_events_without_session_keep_their_folder(repo: Path, orch: OrchRunner, backend: str) -> None:
    assert orch("init", cwd=repo).returncode == 0
    _add_blob(repo, "sessions/undated/s-hand/00/seg.jsonl",
              '{"type": "run_started", "id": "e1", "ts": "2020-01-01T00:00:00Z", "run": "r"}\n')
    seen = [json.loads(orch("events", "--json", cwd=repo).stdout)["session"] for _ in range(2)]
    assert seen == ["s-hand", "s-hand"]  # not each reader's own session id
    sessions = json.loads(orch("sessions", "--json", cwd=repo).stdout)
    assert [(s["session"], s["events"], s["segments"]) for s in sessions] == [("s-hand", 1, 1)]
