"""`export`/`import` given paths and files they cannot use: exit 2 naming the file, never 70."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
from tests.conftest import OrchRunner, git

pytestmark = pytest.mark.usefixtures("backend")  # each test on both git backends


def _some_state(repo: Path) -> None:
    with open_store(find_repo(repo)) as store:
        store.append([ev.RunStarted(run="r1")])


def test_export_to_unusable_paths(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    _some_state(repo)
    (tmp_path / "a-file").write_text("x")
    for out, says in [(tmp_path, "is a directory"), (tmp_path / "a-file" / "x.tar.gz", "is not a directory")]:
        proc = orch("export", "-o", str(out), "--json", cwd=repo)
        assert proc.returncode == 2, proc.stderr
        assert says in json.loads(proc.stdout)["message"]
    good = tmp_path / "deep" / "er" / "state.tar.gz"
    assert orch("export", "-o", str(good), cwd=repo).returncode == 0
    assert [p.name for p in good.parent.iterdir()] == ["state.tar.gz"]  # no partial file left
    assert git(repo, "status", "--porcelain") == ""


def test_import_of_truncated_or_foreign_tarballs(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    _some_state(repo)
    archive = tmp_path / "state.tar.gz"
    assert orch("export", "-o", str(archive), cwd=repo).returncode == 0
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:300])
    proc = orch("import", str(truncated), cwd=repo)
    assert proc.returncode == 2 and "not a gitorch state export" in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr

    import io
    import tarfile

    fake = tmp_path / "fake.tar.gz"
    with tarfile.open(fake, "w:gz") as tar:
        for name, data in [("metadata.json", b'{"format": "gitorch-state-export", "branch": "orch/state"}'),
                           ("state.bundle", b"not a bundle")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    proc = orch("import", str(fake), "--json", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "state.bundle does not read" in json.loads(proc.stdout)["message"]


def test_import_of_another_repositorys_export_needs_force(
    repo: Path, tmp_path: Path, orch: OrchRunner
) -> None:
    from tests.conftest import make_repo

    other = make_repo(tmp_path / "other", {"x.txt": "another project\n"})
    _some_state(other)
    archive = tmp_path / "other.tar.gz"
    assert orch("export", "-o", str(archive), cwd=other).returncode == 0
    proc = orch("import", str(archive), cwd=repo)
    assert proc.returncode == 2 and "exported from another repository" in proc.stderr
    assert "orch/state" not in git(repo, "for-each-ref")
    assert orch("import", "--force", str(archive), cwd=repo).returncode == 0
    assert "r1" in orch("events", cwd=repo).stdout
