"""A reftable repository (git >= 2.45: `<common dir>/reftable`, a stub `refs/heads` file, no
packed-refs) keeps no ref in files, so store/reffiles asks git for every ref there, as it does
when the config sets extensions.refStorage to anything but "files" (1f03983 read refs/notes,
refs/tags, refs/remotes and refs/orch as missing). This machine's git may be older than 2.45,
so the layout is built by hand, as git makes it."""

from __future__ import annotations

from pathlib import Path

from gitorch.store import reffiles
from gitorch.store.cli_backend import CliBackend
from tests.conftest import git

REFS = ("refs/heads/main", "refs/heads/orch/state", "refs/notes/orch", "refs/tags/v1",
        "refs/remotes/origin/orch/state", "refs/orch/lock", "refs/notes/none")


def test_a_reftable_layout_is_asked_of_git(tmp_path: Path) -> None:
    common = tmp_path / ".git"
    (common / "reftable").mkdir(parents=True)
    (common / "refs").mkdir()
    (common / "refs" / "heads").write_text("this repository uses the reftable format\n")
    for ref in REFS:
        assert reffiles.read(str(common), ref) == reffiles.ASK_GIT, ref


def test_ref_storage_in_the_config_decides(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "notes", "--ref", "orch", "add", "-m", "n", "HEAD")
    git(repo, "tag", "v1")
    common = str(repo / ".git")
    notes = git(repo, "rev-parse", "refs/notes/orch")
    assert reffiles.read(common, "refs/notes/orch") == notes
    config = repo / ".git" / "config"
    text = config.read_text()
    for value, files in (("reftable", False), ("Files", True), ('"reftable"', False), ("files", True)):
        config.write_text(f"{text}[extensions]\n\trefStorage = {value}\n")
        want = (head, notes, head, None) if files else (reffiles.ASK_GIT,) * 4
        got = tuple(reffiles.read(common, ref) for ref in ("refs/heads/main", "refs/notes/orch",
                                                           "refs/tags/v1", "refs/notes/none"))
        assert got == want, value


def test_the_cli_backend_reads_through_git_there(repo: Path) -> None:
    git(repo, "notes", "--ref", "orch", "add", "-m", "n", "HEAD")
    git(repo, "pack-refs", "--all")
    (repo / ".git" / "reftable").mkdir()  # git before 2.45 ignores it; the files still say
    be = CliBackend(str(repo / ".git"))
    try:
        for ref in ("refs/heads/main", "refs/notes/orch"):
            assert reffiles.read(str(repo / ".git"), ref) == reffiles.ASK_GIT
            assert be.read_ref(ref) == git(repo, "rev-parse", ref), ref
        assert be.read_ref("refs/notes/none") is None
    finally:
        be.close()
