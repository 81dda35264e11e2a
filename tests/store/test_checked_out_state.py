"""The state branch checked out in a work tree: gitorch refuses to move it (exit 5), since
the work tree and index would fall behind and a later `git commit -a` would undo the state."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner, git, make_repo


def test_writes_refused_while_checked_out_here_or_in_a_linked_worktree(
    repo: Path, tmp_path: Path, orch: OrchRunner, backend: str
) -> None:
    assert orch("init", cwd=repo).returncode == 0
    tip = git(repo, "rev-parse", "orch/state")
    git(repo, "checkout", "-q", "orch/state")
    proc = orch("config", "set", "jobs", "2", "--repo", cwd=repo)
    assert proc.returncode == 5 and "is checked out" in proc.stderr, proc.stderr
    assert git(repo, "status", "--porcelain") == "" and git(repo, "rev-parse", "orch/state") == tip
    assert orch("events", cwd=repo).returncode == 0  # reading is fine

    git(repo, "checkout", "-q", "main")
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "orch/state")
    proc = orch("config", "set", "jobs", "2", "--repo", "--json", cwd=repo)
    assert proc.returncode == 5 and str(tmp_path / "wt") in json.loads(proc.stdout)["message"]
    git(repo, "worktree", "remove", "--force", str(tmp_path / "wt"))
    assert orch("config", "set", "jobs", "2", "--repo", cwd=repo).returncode == 0


def test_a_branch_named_like_a_folder_of_the_state_branch(repo: Path, orch: OrchRunner, backend: str) -> None:
    git(repo, "branch", "orch")  # refs/heads/orch: then refs/heads/orch/state cannot exist
    for packed in (False, True):
        if packed:
            git(repo, "pack-refs", "--all")
        proc = orch("init", "--json", cwd=repo)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        out = json.loads(proc.stdout)
        assert "the branch 'orch' exists" in out["message"] and "state_branch" in out["hint"]
    assert orch("config", "set", "state_branch", "orch-state", cwd=repo).returncode == 0
    assert orch("init", cwd=repo).returncode == 0


def test_a_bare_repository_whose_head_names_the_state_branch_is_written(
    tmp_path: Path, orch: OrchRunner, backend: str
) -> None:
    """A bare repository has no work tree to fall behind: its HEAD naming the state branch
    does not stop a write, in any of the spellings git reads as core.bare true."""
    work = make_repo(tmp_path / "work")
    assert orch("init", cwd=work).returncode == 0
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(bare, "fetch", "-q", str(work), "orch/state:orch/state")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/orch/state")
    config = bare / "config"
    for spelling in ("\tbare = true", "\tBare=TRUE", "  bare =  true  ", "\tbare = yes", "\tbare = on",
                     "\tbare = 1", "\tbare", "\tbare = true ; set by clone", "\tbare = true # a comment"):
        text = config.read_text()
        lines = [spelling if line.strip().lower().startswith("bare") else line for line in text.splitlines()]
        config.write_text("\n".join(lines) + "\n")
        assert git(bare, "config", "--bool", "core.bare") == "true"
        proc = orch("config", "set", "jobs", "3", "--repo", cwd=bare)
        assert proc.returncode == 0, (spelling, proc.stderr)
    git(bare, "config", "core.bare", "false")  # now its HEAD would have a work tree to fall behind
    proc = orch("config", "set", "jobs", "4", "--repo", cwd=bare)
    assert proc.returncode == 5 and "is checked out" in proc.stderr, proc.stderr
