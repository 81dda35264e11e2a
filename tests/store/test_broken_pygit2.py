"""pygit2 installed but not importable (a bad build): 'auto' uses the git CLI, an explicit
request says what is wrong (exit 2), never an internal error."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import OrchRunner


def _hide_pygit2(tmp_path: Path) -> dict[str, str]:
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pygit2.py").write_text('raise ImportError("libgit2.so.1.9: cannot open shared object")\n')
    return {"PYTHONPATH": os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])}


def test_auto_falls_back_and_explicit_is_named(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    env = _hide_pygit2(tmp_path)
    proc = orch("init", "--json", cwd=repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["backend"] == "cli"
    doctor = json.loads(orch("doctor", "--json", cwd=repo, env=env).stdout)["findings"]
    assert [f["severity"] for f in doctor if f["check"] == "backend"] == ["warning"]
    proc = orch("export", "-o", str(tmp_path / "s.tgz"), "--json", cwd=repo,
                env={**env, "GITORCH_BACKEND": "pygit2"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "backend pygit2 was asked for" in json.loads(proc.stdout)["message"]
