"""Acceptance checks see what the task names (issue 14), through `git orch run` on real repos."""

from __future__ import annotations

import os
from pathlib import Path

from gitorch import events as ev
from tests.conftest import OrchRunner, git
from tests.e2e.helpers import events, of_type, states, write_plan


def test_content_checks_search_named_files_even_when_ignored(repo: Path, orch: OrchRunner) -> None:
    """A task writing out/a.txt under an ignored out/ passed `File exists` and failed `Contains`
    on the same file, blocking its dependents. Named files and folders are searched whole;
    globs and the all-files default still skip ignored files; the evidence names the files."""
    (repo / ".gitignore").write_text("out/\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-qm", "ignore out")
    write_plan(repo, [
        {"id": "gen",
         "commands": {"build": "mkdir -p out/sub; echo hello > out/a.txt; echo hi > out/sub/b.txt"},
         "acceptance": ["File exists: out/a.txt", "Contains: hello in out/a.txt",
                        {"contains": "hi", "in": ["out/"]},
                        {"matches": "^hel+o$", "in": "out/a.txt"},
                        {"not_contains": "hello", "in": ["out/*.txt"]}]},  # a glob: ignored files skipped
        {"id": "use", "dependencies": ["gen"], "commands": {"x": "true"}},
        # all files (no paths, no preferred paths): ignored ones are skipped, so this fails
        {"id": "all", "dependencies": ["gen"], "commands": {"x": "true"},
         "acceptance": [{"matches": "^hel+o$"}]},
    ])
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert states(orch, repo) == {"gen": "completed", "use": "completed", "all": "failed"}
    passed = {e.check: e.evidence for e in of_type(events(repo), ev.AcceptancePassed, "gen")}
    assert passed["Contains: hello in out/a.txt"]["files"] == ["out/a.txt"]
    assert passed["contains: hi in out/"]["files"] == ["out/a.txt", "out/sub/b.txt"]
    assert passed["contains: hi in out/"]["found"] == ["out/sub/b.txt:1"]
    assert passed["matches: ^hel+o$ in out/a.txt"]["found"] == ["out/a.txt:1"]
    glob = passed["not_contains: hello in out/*.txt"]
    assert glob["searched"] == 0 and glob["files"] == []
    everything = of_type(events(repo), ev.AcceptanceFailed, "all")[0].evidence
    assert everything["found"] == [] and everything["paths"] == ["(all files)"]
    assert "out/a.txt" not in everything["files"] and "orchestrator.json" in everything["files"]


def test_file_checks_never_follow_a_symlink_out_of_the_repository(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOKEN=abc\n")
    os.symlink(outside, repo / "link")
    os.symlink(outside / "secret.txt", repo / "leak.txt")
    write_plan(repo, [
        {"id": "probe", "commands": {"x": "true"},
         "acceptance": ["File exists: link/secret.txt", "File exists: leak.txt",
                        {"contains": "TOKEN", "in": ["leak.txt", "link/"]}]},
        {"id": "absent", "commands": {"x": "true"}, "acceptance": [{"file_absent": "link/secret.txt"}]},
    ])
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert states(orch, repo) == {"probe": "failed", "absent": "completed"}
    failed = {e.check: e.evidence for e in of_type(events(repo), ev.AcceptanceFailed, "probe")}
    assert failed["File exists: link/secret.txt"]["exists"] is False
    assert "outside the repository" in failed["File exists: link/secret.txt"]["note"]
    assert "outside the repository" in failed["File exists: leak.txt"]["note"]
    content = failed["contains: TOKEN in leak.txt, link/"]
    assert content["found"] == [] and content["searched"] == 0
    assert "leak.txt" in content["outside"]
    assert "TOKEN=abc" not in proc.stdout + proc.stderr


def test_does_not_contain_fails_on_a_file_it_could_not_read(
    repo: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    """A `not_contains` on a symlink out of the repository passed without reading it."""
    (tmp_path / "elsewhere.txt").write_text("TOKEN=abc\n")
    os.symlink(tmp_path / "elsewhere.txt", repo / "leak.txt")
    (repo / "clean.txt").write_text("nothing here\n")
    write_plan(repo, [
        {"id": "leak", "commands": {"x": "true"},
         "acceptance": [{"not_contains": "TOKEN", "in": "leak.txt"}]},
        {"id": "clean", "commands": {"x": "true"},
         "acceptance": [{"not_contains": "TOKEN", "in": ["clean.txt", "none/*.txt"]}]},
    ])
    proc = orch("run", "--keep-going", cwd=repo)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert states(orch, repo) == {"leak": "failed", "clean": "completed"}
    evidence = of_type(events(repo), ev.AcceptanceFailed, "leak")[0].evidence
    assert evidence["outside"] == ["leak.txt"] and evidence["searched"] == 0
