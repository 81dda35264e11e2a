"""watch.json and passes.json are written by msgspec's encoder (engine/watch._json): the text
json.dumps(sort_keys=True) writes for ASCII, valid UTF-8 JSON beyond it, json's escapes for a
name that is not valid Unicode; the next run and the hook read them (real repository, CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from gitorch.engine.watch import _json
from tests.conftest import OrchRunner, git, make_repo


def test_ascii_is_the_text_json_dumps_writes() -> None:
    doc = {"tasks": {"b": {"paths": ["x"], "oids": {"x": "1"}}, "a": {"run": "r"}}, "awaiting": [],
           "schema_version": 1}
    assert _json(doc) == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def test_beyond_ascii_and_undecodable_names_read_back_the_same() -> None:
    odd = {"tasks": {"a": {"oids": {"bad\udcff": "1"}}}}
    for doc in ({"tasks": {"é": {"paths": ["dössier/ü.txt"]}}}, odd):
        assert json.loads(_json(doc)) == doc


def test_a_run_on_a_non_ascii_path_is_skipped_by_the_next(tmp_path: Path, orch: OrchRunner) -> None:
    plan = '{"version": 1, "tasks": [{"id": "e", "paths": ["dössier"], "commands": {"t": "true"}}]}'
    repo = make_repo(tmp_path / "r", {"orchestrator.json": plan, "dössier/ü.txt": "1\n"})
    assert orch("run", cwd=repo).returncode == 0
    watch = json.loads(git(repo, "cat-file", "blob", "orch/state:watch.json"))
    assert list(watch["tasks"]["e"]["oids"]) == ["dössier/ü.txt"]
    again = orch("run", cwd=repo)
    assert again.returncode == 0 and "1 skipped" in again.stdout, again.stdout
