"""`ws snapshot` of a folder without a manifest, outside a repository, reads its paths as text:
a real `git orch ws snapshot --json` process imports no pathlib (benchmark P5; `re` and
functools come with pip's console-script wrapper), and each text helper it uses answers as
the pathlib code it replaces."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitorch.context import Context, build_context
from gitorch.workspace import gitdir
from gitorch.workspace.manifest import discover, load_manifest, repo_folders, repo_paths, workspace_folder


def _repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(path), "add", "a.txt"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@t",
                    "commit", "-qm", "a"], check=True)
    return path


def test_a_real_snapshot_process_imports_no_pathlib(tmp_path: Path) -> None:
    """The installed command, started by git, as a user runs it (python's own import log)."""
    work = tmp_path / "ws"
    for name in ("one", "two"):
        _repo(work / name)
    (work / "two" / "a.txt").write_text("changed\n")
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    proc = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(work), "--json"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, check=True)
    snap = json.loads(proc.stdout)
    assert [r["name"] for r in snap["repos"]] == ["one", "two"] and snap["root"] == str(work)
    assert [g["dirty"] for g in snap["git"]] == [False, True]
    imported = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:") and line.count("|") == 2}
    assert "gitorch.workspace.capture" in imported  # the log is the snapshot's own
    # pip's console-script wrapper imports re (with functools) itself; the snapshot adds none of these
    assert not {"pathlib", "typer", "msgspec"} & imported, sorted(imported)


@pytest.mark.parametrize("given", [".", "..", "a//b/", "a/./b/../c", "/tmp/./x/../y", "//x", "///x/", "x/"])
def test_workspace_folder_is_workspace_roots_text(given: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert workspace_folder(given) == str(Path(os.path.normpath(Path(given).absolute())))
    assert workspace_folder(Path(given)) == workspace_folder(given)


def test_is_dir_and_is_file_answer_as_pathlib(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "to-d").symlink_to(tmp_path / "d")
    for name in ("d", "f", "missing", "f/under-a-file", "loop", "to-d", "bad\0name"):
        path = tmp_path / name if "\0" not in name else Path(str(tmp_path) + "/" + name)
        assert gitdir.is_dir(str(path)) == path.is_dir(), name
        assert gitdir.is_file(str(path)) == path.is_file(), name
        assert gitdir.exists(str(path)) == path.exists(), name


def test_a_discovered_manifest_makes_its_root_path_on_first_use(tmp_path: Path) -> None:
    _repo(tmp_path / "b")
    _repo(tmp_path / "a")
    (tmp_path / "not-a-repo").mkdir()
    as_text = load_manifest(str(tmp_path))
    assert "root" not in as_text.__dict__ and as_text.root_text == str(tmp_path)
    as_path = discover(tmp_path)
    assert as_path.root is tmp_path and as_text.root == tmp_path  # a Path either way
    assert as_text == as_path and hash(as_text) == hash(as_path) and repr(as_text) == repr(as_path)
    assert repo_folders(as_text) == [("a", str(tmp_path / "a")), ("b", str(tmp_path / "b"))]
    assert repo_paths(as_text) == [(name, Path(folder)) for name, folder in repo_folders(as_text)]
    assert as_text.path_of("a") == tmp_path / "a"
    assert as_text.replace(root=str(tmp_path)).root == str(tmp_path)  # a field keeps what it is given


def test_a_built_context_makes_its_cwd_path_on_first_use(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ctx = build_context(json=True)
    assert "cwd" not in ctx.__dict__ and ctx.cwd_text == os.getcwd()
    assert ctx.cwd == Path.cwd() and isinstance(ctx.cwd, Path)
    assert ctx == build_context(cwd=Path.cwd(), json=True, prog=ctx.prog)
    given = Context(tmp_path / "x")
    assert given.cwd == tmp_path / "x" and given.cwd_text == str(tmp_path / "x")


def test_the_snapshot_looks_for_a_repository_above_its_folder(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """ws_snapshot._maybe_in_repo, read on text: a checkout's subfolder, a bare repository,
    a relative folder inside one; not a folder outside any."""
    from gitorch.cli.ws_snapshot import _maybe_in_repo

    deep = _repo(tmp_path / "r") / "sub" / "deeper"
    deep.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare.git")], check=True)
    (tmp_path / "plain" / "x").mkdir(parents=True)
    assert _maybe_in_repo(str(deep)) and _maybe_in_repo(str(tmp_path / "bare.git"))
    monkeypatch.chdir(tmp_path / "r")
    assert _maybe_in_repo("sub/./deeper/..")
    if not any(os.path.lexists(folder / ".git") for folder in tmp_path.parents):  # a temp folder in no repo
        assert not _maybe_in_repo(str(tmp_path / "plain" / "x"))
