"""`export --encrypt` / `import` of an encrypted archive, and an import bounded by its size
limit (streamed, never read whole), through the real CLI on real repositories."""

from __future__ import annotations

import gzip
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.config import open_store
from gitorch.repo import find_repo
from tests.conftest import OrchRunner, git

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg not installed")


def _some_state(repo: Path, run: str = "r1") -> None:
    with open_store(find_repo(repo)) as store:
        store.append([ev.RunStarted(run=run)])


def _state_tip(repo: Path) -> str:
    return git(repo, "rev-parse", "--verify", "-q", "refs/heads/orch/state")


def test_encrypted_round_trip_and_wrong_passphrase(
        repo: Path, tmp_path: Path, orch: OrchRunner, backend: str) -> None:
    _some_state(repo)
    archive = tmp_path / "state.tar.gz.gpg"
    secret = "correct horse battery staple"
    proc = orch("export", "--encrypt", "-o", str(archive), cwd=repo,
                env={"GITORCH_EXPORT_PASSPHRASE": secret})
    assert proc.returncode == 0, proc.stderr
    data = archive.read_bytes()
    assert data[:2] != b"\x1f\x8b" and b"metadata.json" not in data and b"RunStarted" not in data
    assert secret.encode() not in data

    clone = tmp_path / "clone"  # the same project elsewhere (a root commit in common)
    git(tmp_path, "clone", "-q", "--single-branch", "-b", "main", str(repo), str(clone))
    wrong = orch("import", str(archive), cwd=clone, env={"GITORCH_EXPORT_PASSPHRASE": "nope"})
    assert wrong.returncode == 2
    assert "wrong passphrase (or damaged archive); nothing imported" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert git(clone, "for-each-ref", "refs/heads/orch", "refs/orch") == ""  # nothing imported

    none = orch("import", str(archive), cwd=clone, env={"GITORCH_EXPORT_PASSPHRASE": ""})
    assert none.returncode == 2 and "set GITORCH_EXPORT_PASSPHRASE" in none.stderr

    good = orch("import", str(archive), "--json", cwd=clone, env={"GITORCH_EXPORT_PASSPHRASE": secret})
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["metadata"]["state_tip"] == _state_tip(repo)
    assert _state_tip(clone) == _state_tip(repo)


def _tar_head(size: int) -> bytes:
    meta = json.dumps({"format": "gitorch-state-export", "branch": "orch/state"}).encode()
    info = tarfile.TarInfo("metadata.json")
    info.size = len(meta)
    bundle = tarfile.TarInfo("state.bundle")
    bundle.size = size
    return info.tobuf() + meta + bytes(-len(meta) % 512) + bundle.tobuf()


def _bomb(path: Path, size: int) -> None:
    """A gzip file (one member per MiB, as `cat a.gz b.gz` makes) of a tarball whose
    state.bundle is `size` zero bytes: 1 GiB takes 1 MiB on disk."""
    zeros = gzip.compress(bytes(1 << 20), 9)
    with path.open("wb") as out:
        out.write(gzip.compress(_tar_head(size), 9))
        for _ in range(size >> 20):
            out.write(zeros)
        out.write(gzip.compress(bytes(1024), 9))


def _big(path: Path, size: int) -> None:
    """The same shape as one gzip member (what tar itself writes), compressed fast."""
    with gzip.open(path, "wb", compresslevel=1) as gz:
        gz.write(_tar_head(size))
        for _ in range(size >> 20):
            gz.write(bytes(1 << 20))
        gz.write(bytes(1024))


def test_a_1mb_archive_expanding_to_1gb_is_refused(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    bomb = tmp_path / "bomb.tar.gz"
    _bomb(bomb, 1 << 30)
    assert bomb.stat().st_size < 2 << 20
    proc = orch("import", str(bomb), cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert "unpacks to more than 256.0 MiB (at state.bundle, 1.0 GiB); refused before unpacking" \
        in proc.stderr
    assert list((repo / ".git" / "orch").rglob("state.bundle")) == []
    small = orch("import", str(bomb), cwd=repo, env={"GITORCH_IMPORT_MAX_SIZE": "1K"})
    assert small.returncode == 2 and "more than 1.0 KiB" in small.stderr


def test_import_stays_in_bounded_memory(repo: Path, tmp_path: Path) -> None:
    """A 64 MiB bundle under a 128 MiB limit is streamed: the peak RSS of the importing process
    stays far below the bundle (which is then refused: zeros are not a git bundle)."""
    import resource
    import subprocess
    import sys

    bomb = tmp_path / "big.tar.gz"
    _big(bomb, 64 << 20)
    code = ("import resource, sys\n"
            "from pathlib import Path\n"
            "from gitorch.config import open_store\n"
            "from gitorch.repo import find_repo\n"
            "from gitorch.errors import UsageError\n"
            "from gitorch.store.archive import import_\n"
            "with open_store(find_repo()) as s:\n"
            "    try:\n        import_(s, Path(sys.argv[1]), max_size=128 << 20)\n"
            "    except UsageError as e:\n        print(e)\n"
            # VmHWM, not ru_maxrss: the latter keeps the forking pytest worker's peak across exec
            "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(bomb)], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    said, peak_kib = proc.stdout.strip().splitlines()
    assert "state.bundle does not read: not a git bundle" in said
    assert int(peak_kib) < 64 * 1024, f"peak RSS {int(peak_kib) // 1024} MiB"
    del resource
