"""mix_graft users: graft.exs read as the workspace manifest (as data, never run), and
`.graft/state.json` imported so `ws teardown` restores the line mix_graft replaced."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import graft_fixtures as gf

from tests.conftest import OrchRunner


def _ok(proc: subprocess.CompletedProcess[str], code: int = 0) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_graft_exs_is_the_manifest_without_workspace_toml(repo: Path, orch: OrchRunner) -> None:
    gf.build(repo)
    status = _ok(orch("ws", "status", "--json", cwd=repo)).stdout
    assert "req_llm" in status and "jido" in status
    snap = json.loads(_ok(orch("ws", "snapshot", "--root", ".", "--json", cwd=repo)).stdout)
    assert [r["name"] for r in snap["repos"]] == ["req_llm", "jido"]
    assert snap["manifest"].endswith("graft.exs")


def test_graft_exs_is_never_evaluated(repo: Path, orch: OrchRunner) -> None:
    gf.build(repo)
    (repo / "graft.exs").write_text('%{\n  root: ".",\n  siblings: [System.cmd("touch", ["pwned"])]\n}\n')
    proc = _ok(orch("ws", "status", cwd=repo), 2)
    assert "graft.exs:3:14" in proc.stderr and "never run" in proc.stderr
    assert not (repo / "pwned").exists()
    (repo / "graft.exs").write_text('%{root: ".", siblings: [%{name: :x, path: "../../etc"}]}\n')
    assert "outside the workspace root" in _ok(orch("ws", "status", cwd=repo), 2).stderr


def test_hostile_graft_exs_is_a_located_error(repo: Path, orch: OrchRunner) -> None:
    """Each of these was exit 70 (deep nesting, `links: 5`) or accepted (a NUL in a path)."""
    bad = {"[" * 3000 + "]" * 3000: "graft.exs:1:65: collections nested deeper than 64",
           '%{root: ".", siblings: [%{name: :x, path: "x"}], links: 5}': "links: `links` must be a list",
           '%{root: ".", siblings: [%{name: :x, path: "a\\0b"}]}': "siblings[0].path: sibling x: path",
           '%{root: "a\\nb", siblings: []}': "root: `root` 'a\\nb' holds a NUL or control character"}
    for text, message in bad.items():
        (repo / "graft.exs").write_text(text)
        assert message in _ok(orch("ws", "status", cwd=repo), 2).stderr


def test_migrate_adopts_graft_links_and_teardown_restores_the_line(repo: Path, orch: OrchRunner) -> None:
    gf.build(repo)
    original = gf.link_on(repo)
    state = (repo / ".graft" / "state.json").read_bytes()
    dry = json.loads(_ok(orch("migrate", "--dry-run", "--json", cwd=repo)).stdout)
    assert [f["path"] for f in dry["files"]] == [".graft/state.json"] and dry["warnings"] == []
    done = json.loads(_ok(orch("migrate", "--json", cwd=repo)).stdout)
    assert done["event_types"] == {"migrated": 1, "note": 1}
    events = [json.loads(x) for x in _ok(orch("events", "--json", cwd=repo)).stdout.splitlines()]
    (link,) = [e for e in events if e.get("kind") == "graft_link"]
    assert link["data"]["preimage"] == gf.PREIMAGE and link["ts"] == "2026-01-20T10:15:03.412Z"
    assert "linked: jido/req_llm" in _ok(orch("ws", "status", cwd=repo)).stdout
    _ok(orch("ws", "teardown", cwd=repo))
    assert (repo / "jido" / "mix.exs").read_bytes() == original  # the original dependency line
    _ok(orch("migrate", "--remove-legacy", cwd=repo))
    assert not (repo / ".graft" / "state.json").exists()
    _ok(orch("migrate", "--rollback", cwd=repo))
    assert (repo / ".graft" / "state.json").read_bytes() == state


def test_a_graft_link_edited_since_is_not_adopted(repo: Path, orch: OrchRunner) -> None:
    gf.build(repo)
    gf.link_on(repo)
    with (repo / "jido" / "mix.exs").open("a") as f:
        f.write("# edited by hand\n")
    done = json.loads(_ok(orch("migrate", "--json", cwd=repo)).stdout)
    assert ["changed since mix_graft linked it" in w for w in done["warnings"]] == [True]
    assert "no workspace has been applied" in _ok(orch("ws", "teardown", cwd=repo), 2).stderr
