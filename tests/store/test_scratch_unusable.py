"""A git directory where `<git dir>/orch` cannot be made: reads work, writes say why."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import OrchRunner


def test_reads_work_and_writes_name_the_folder(repo: Path, orch: OrchRunner, backend: str) -> None:
    assert orch("init", cwd=repo).returncode == 0
    scratch = repo / ".git" / "orch"
    for child in sorted(scratch.rglob("*"), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    scratch.rmdir()
    scratch.write_text("in the way\n")  # as unusable as a folder this user cannot write
    for args in (("events",), ("state", "log"), ("sessions",), ("events", "--json"), ("secrets", "doctor")):
        proc = orch(*args, cwd=repo)
        assert proc.returncode == 0, (args, proc.stderr)
    for args in (("config", "set", "jobs", "2", "--repo"), ("export", "-o", str(repo.parent / "s.tgz"))):
        proc = orch(*args, cwd=repo)
        assert proc.returncode == 2, (args, proc.stderr)
        assert f"cannot create {scratch}" in proc.stderr and "internal error" not in proc.stderr
    proc = orch("secrets", "set", "API_TOKEN", input="value\n", cwd=repo)
    assert proc.returncode == 2 and f"cannot create {scratch}" in proc.stderr, proc.stderr
