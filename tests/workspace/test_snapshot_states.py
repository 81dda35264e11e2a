"""`ws snapshot`'s fast path (every git status started at once, read by gitstate.start_all,
msgspec loaded while git runs) gives what one `read_one` per repo gives, on real repos in
every state the snapshot reports: dirty, untracked, detached, no upstream, ahead/behind, a
merge and a rebase stopped on a conflict, no commit yet, missing, not a git repo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest

from gitorch.workspace import snapshot as S
from gitorch.workspace.freeze import orphaned_commits
from gitorch.workspace.gitstate import read_one, start_all
from gitorch.workspace.manifest import load, repo_paths

from .fixtures import git

NAMES = ["ahead", "detached", "dirty", "fresh", "gone", "merging", "plain", "rebasing", "solo"]


def _repo(path: Path, text: str = "one\n") -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "--template=", "-b", "main")
    (path / "f.txt").write_text(text)
    git(path, "add", "f.txt")
    git(path, "commit", "-q", "-m", "initial")
    return path


def _commit(path: Path, text: str, message: str) -> None:
    (path / "f.txt").write_text(text)
    git(path, "commit", "-q", "-am", message)


def _conflict(path: Path, *how: str) -> None:
    """`git merge`/`git rebase` of a branch changing f.txt as main did: stops on a conflict."""
    git(path, "checkout", "-q", "-b", "other")
    _commit(path, "other\n", "other")
    git(path, "checkout", "-q", "main")
    _commit(path, "main\n", "main")
    proc = subprocess.run(["git", *how], cwd=path, capture_output=True)
    assert proc.returncode != 0  # stopped on the conflict


@pytest.fixture
def states_ws(tmp_path: Path) -> Path:
    """A workspace.toml listing one repo in each state (`gone` is listed, never made)."""
    root = tmp_path / "ws"
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    ahead = _repo(root / "ahead")
    git(ahead, "remote", "add", "origin", str(remote))
    git(ahead, "push", "-q", "-u", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    _commit(other, "theirs\n", "theirs")
    git(other, "push", "-q", "origin", "main")
    git(ahead, "fetch", "-q", "origin")
    (ahead / "g.txt").write_text("mine\n")
    git(ahead, "add", "g.txt")
    git(ahead, "commit", "-q", "-m", "mine")  # ahead 1, behind 1
    detached = _repo(root / "detached")
    _commit(detached, "two\n", "two")
    git(detached, "checkout", "-q", "HEAD~1")
    _commit(detached, "three\n", "three")  # a commit only the detached HEAD reaches
    dirty = _repo(root / "dirty")
    (dirty / "f.txt").write_text("edited\n")
    (dirty / "new file.txt").write_text("untracked\n")
    git(dirty, "mv", "f.txt", "moved.txt")
    root.joinpath("fresh").mkdir()
    git(root / "fresh", "init", "-q", "--template=", "-b", "main")  # no commit yet
    _conflict(_repo(root / "merging"), "merge", "-q", "other")
    _repo(root / "plain")
    _conflict(_repo(root / "rebasing"), "rebase", "-q", "other")
    (root / "solo").mkdir()  # listed, but not a git repository
    (root / "solo" / "x").write_text("x\n")
    lines = [f'[[repos]]\nname = "{n}"\npath = "{n}"\n' for n in NAMES]
    (root / "workspace.toml").write_text("\n".join(lines))
    return root


def test_started_all_at_once_equals_one_read_per_repo(states_ws: Path) -> None:
    paths = repo_paths(load(states_ws))
    one_by_one = [read_one(name, path) for name, path in paths]
    assert start_all(paths)() == one_by_one
    assert start_all(paths, running=1)() == one_by_one  # each slot refilled as one finishes
    assert start_all(paths, running=3)() == one_by_one
    state = {g.repo: g for g in one_by_one}
    assert (state["ahead"].upstream, state["ahead"].ahead, state["ahead"].behind) == ("origin/main", 1, 1)
    assert state["ahead"].branch == "main" and not state["ahead"].dirty
    assert state["detached"].branch is None and state["detached"].sha
    assert state["dirty"].dirty and state["dirty"].changed_total == 2  # a rename names its new path
    assert state["dirty"].changed == ["moved.txt", "new file.txt"]
    assert state["fresh"].branch == "main" and state["fresh"].sha is None
    assert state["merging"].in_progress == "merge" and state["merging"].conflicts == ["f.txt"]
    assert state["rebasing"].in_progress == "rebase" and state["rebasing"].conflicts == ["f.txt"]
    assert state["plain"].upstream is None and state["plain"].sha and not state["plain"].dirty
    for empty in ("gone", "solo"):
        assert state[empty] == S.GitState(repo=empty)


def test_ws_snapshot_json_is_the_snapshot_of_one_read_per_repo(states_ws: Path, tmp_path: Path) -> None:
    manifest = load(states_ws)
    slow = S.take(manifest, reading=lambda: [read_one(n, p) for n, p in repo_paths(manifest)])
    expected = msgspec.to_builtins(slow)
    proc = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(states_ws), "--json"],
                          cwd=tmp_path, capture_output=True)  # cwd is in no repository
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    for snap in (got, expected):
        snap.pop("generated_at")
    assert got == expected  # the id too: the same content
    assert proc.stdout == msgspec.json.encode(
        msgspec.structs.replace(slow, generated_at=json.loads(proc.stdout)["generated_at"]),
        order="deterministic") + b"\n"  # byte for byte
    kinds = sorted((d["repo"], d["kind"]) for d in got["diagnostics"])
    assert kinds == [("detached", "detached_head"), ("gone", "missing_repo"), ("merging", "conflict"),
                     ("rebasing", "conflict"), ("rebasing", "detached_head"),  # a rebase detaches HEAD
                     ("solo", "missing_repo")]
    assert [r["exists"] for r in got["repos"]] == [n not in ("gone", "solo") for n in NAMES]
    detached = {d["repo"]: d["message"] for d in got["diagnostics"] if d["kind"] == "detached_head"}
    for name in ("detached", "rebasing"):  # counted at once, as orphaned_commits counts each
        orphans = orphaned_commits(states_ws / name)
        assert detached[name] == S.detached_diagnostic(name, states_ws / name, state_of(got, name)).message
        assert (f"; {orphans} commit(s) there are on no branch" in detached[name]) == (orphans > 0)
    assert orphaned_commits(states_ws / "detached") == 1


def state_of(snap: dict[str, Any], name: str) -> str:
    return next(g["sha"] for g in snap["git"] if g["repo"] == name)


def test_the_model_digests_are_hashlib_sha256() -> None:
    import hashlib

    from gitorch.workspace.model import Topology, digest, encode, sha256

    for data in (b"", b"abc", bytes(range(256)) * 300):
        assert sha256(data) == hashlib.sha256(data).hexdigest()
    topology = Topology(order=["a", "b"])
    assert digest(topology) == hashlib.sha256(encode(topology)).hexdigest()


def test_where_a_repository_can_be(tmp_path: Path) -> None:
    from gitorch.cli.ws_snapshot import _maybe_in_repo

    plain = tmp_path / "a" / "b"
    plain.mkdir(parents=True)
    assert not _maybe_in_repo(plain)  # nothing above it: discovery records are not looked for
    git(tmp_path / "a", "init", "-q", "--bare", str(tmp_path / "a" / "bare.git"))
    (tmp_path / "a" / "bare.git" / "sub").mkdir()
    assert _maybe_in_repo(tmp_path / "a" / "bare.git" / "sub")  # inside a bare repository
    git(tmp_path, "init", "-q", str(tmp_path / "a"))
    assert _maybe_in_repo(plain)


def test_the_sweep_before_ws_commands_reads_one_folder_when_nothing_is_recorded(tmp_path: Path) -> None:
    import sys

    from gitorch.repo import find_repo
    from gitorch.workspace.expiry import any_recorded, records_dir

    repo_dir = _repo(tmp_path / "r")
    probe = ("import sys; from gitorch.cli.lean_ws import before_command; before_command('snapshot'); "
             "print('gitorch.workspace.ephemeral' in sys.modules, 'msgspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo_dir, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stderr  # nothing recorded: nothing loaded
    repo = find_repo(repo_dir)
    assert not any_recorded(repo)
    records_dir(repo).mkdir(parents=True)
    assert not any_recorded(repo)  # an empty folder
    (records_dir(repo) / "notes.txt").write_text("x\n")
    assert not any_recorded(repo)
    (records_dir(repo) / "try.json").write_text("{}")
    assert any_recorded(repo)  # (expired or not: workspace/ephemeral.py reads it)


def test_the_early_start_is_used_once_for_the_folder_it_read(states_ws: Path, tmp_path: Path) -> None:
    from gitorch.workspace import prestart
    from gitorch.workspace.manifest import workspace_root

    assert prestart._root(["--json", "--root", "a", "--root=b"]) == "b"  # the last one, as click
    assert prestart._root(["--json"]) is None and prestart._root(["--", "--root", "x"]) is None
    prestart.start(["--root", str(tmp_path / "missing")])  # the command reports it, not this
    assert prestart.take(workspace_root(tmp_path / "missing")) is None and prestart._started == {}
    prestart.start([f"--root={states_ws}/./", "--json"])
    assert prestart.take(workspace_root(tmp_path)) is None  # another folder: not this work
    started = prestart.take(workspace_root(states_ws))
    assert started is not None and prestart.take(workspace_root(states_ws)) is None  # once
    manifest, reading = started
    assert reading() == [read_one(n, p) for n, p in repo_paths(manifest)]


def test_ws_snapshot_with_root_equals_over_both_spellings(states_ws: Path, tmp_path: Path) -> None:
    spellings = (["--root", str(states_ws)], [f"--root={states_ws}"])
    runs = [subprocess.run(["git", "orch", "ws", "snapshot", *how, "--json"], cwd=tmp_path,
                           capture_output=True) for how in spellings]
    first, second = (json.loads(r.stdout) for r in runs)
    assert first["id"] == second["id"] and first["git"] == second["git"]


def test_the_sweep_asks_git_only_where_a_record_may_be(tmp_path: Path) -> None:
    """expiry.maybe_recorded (folders only) says False only where the repository git finds
    records nothing: plain folders, repos, a linked worktree, a bare repository, nested repos."""
    from gitorch.repo import find_repo
    from gitorch.workspace.expiry import any_recorded, maybe_recorded, records_dir

    outer = _repo(tmp_path / "outer")
    inner = _repo(outer / "sub" / "inner")
    git(outer, "worktree", "add", "-q", str(tmp_path / "wt"))
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "bare.git"))
    (tmp_path / "plain").mkdir()
    places = [tmp_path / "plain", outer, outer / "sub", inner, tmp_path / "wt", tmp_path / "bare.git"]

    def agree() -> list[bool]:
        said = [maybe_recorded(str(p)) for p in places]
        for place, maybe in zip(places[1:], said[1:], strict=True):
            assert maybe or not any_recorded(find_repo(place)), place  # never a false "no"
        return said

    assert agree() == [False] * 6
    records_dir(find_repo(outer)).mkdir(parents=True)
    (records_dir(find_repo(outer)) / "try.json").write_text("{}")
    assert agree() == [False, True, True, True, True, False]  # the worktree shares outer's records
    (records_dir(find_repo(outer)) / "try.json").unlink()
    records_dir(find_repo(tmp_path / "bare.git")).mkdir(parents=True)
    (records_dir(find_repo(tmp_path / "bare.git")) / "b.json").write_text("{}")
    assert agree() == [False, False, False, False, False, True]
    probe = ("import sys; from gitorch.cli.lean_ws import before_command; before_command('snapshot'); "
             "print('subprocess' in sys.modules)")
    import sys

    out = subprocess.run([sys.executable, "-c", probe], cwd=outer, capture_output=True, text=True)
    assert out.stdout.split() == ["False"], out.stderr  # no git process started to find the repo


def test_discovery_records_are_looked_for_only_where_a_branch_may_hold_them(tmp_path: Path) -> None:
    """ws snapshot inside a repository opens the state store only when its ref files show a
    branch that is not checked out (or one checked out with discovery/ in its work tree)."""
    import sys

    from gitorch.cli.ws_snapshot import DISCOVERY, may_hold_discovery
    from gitorch.repo import find_repo
    from gitorch.store import layout

    assert DISCOVERY == layout.DISCOVERY
    hub = _repo(tmp_path / "ws" / "hub")
    _repo(tmp_path / "ws" / "lib")
    common = find_repo(hub).common_dir
    assert not may_hold_discovery(common)  # main, checked out
    probe = ("import sys; from gitorch.cli.entry import main\n"
             "try: main(['ws', 'snapshot', '--json'])\n"
             "except SystemExit: pass\n"
             "sys.stderr.write(repr([m for m in ('msgspec', 'gitorch.config', 'subprocess') "
             "if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=hub, capture_output=True, text=True)
    assert proc.stderr.splitlines()[-1] == "[]", proc.stderr  # no settings, no store read, no subprocess
    assert [r["name"] for r in json.loads(proc.stdout)["repos"]] == ["hub", "lib"]
    git(hub, "worktree", "add", "-q", "-b", "feature", str(tmp_path / "wt"))
    assert not may_hold_discovery(common)  # checked out in a linked work tree
    (tmp_path / "wt" / DISCOVERY).mkdir()
    assert may_hold_discovery(common)  # a state branch checked out: it may hold records
    (tmp_path / "wt" / DISCOVERY).rmdir()
    git(hub, "checkout", "-q", "--detach")
    assert may_hold_discovery(common)  # main is checked out nowhere now
    git(hub, "checkout", "-q", "main")
    git(hub, "branch", "orch/state")
    git(hub, "pack-refs", "--all")
    assert not (common / "refs" / "heads" / "orch" / "state").exists()
    assert may_hold_discovery(common)  # a packed branch no work tree has


def test_the_early_start_of_a_folder_without_manifest_names_the_discovered_repos(tmp_path: Path) -> None:
    """prestart lists the repos (os only) and starts git before the manifest exists: the same
    repos, names and order as manifest.discover, and the same states as one read per repo."""
    import os

    from gitorch.workspace import prestart
    from gitorch.workspace.manifest import discover, workspace_root

    root = tmp_path / "ws"
    for name in ("b", "a", "my repo", "z"):
        _repo(root / name)
    (root / "plain").mkdir()
    os.symlink(root / "a", root / "a-link")  # the same checkout: left out
    os.symlink(root / "b", root / "c-outside")  # kept out too
    manifest = discover(workspace_root(root))
    folder, found = prestart._found(str(root))
    assert found is not None and folder == str(root)
    assert [(n, os.path.join(folder, c)) for n, c in found] == [(n, str(p)) for n, p in repo_paths(manifest)]
    assert [n for n, _ in found] == ["a", "b", "my-repo", "z"]
    prestart.start(["--root", str(root)])
    started = prestart.take(workspace_root(root))
    assert started is not None and started[0] == manifest
    assert started[1]() == [read_one(n, p) for n, p in repo_paths(manifest)]
    (root / "workspace.toml").write_text('[[repos]]\nname = "a"\n')
    assert prestart._found(str(root)) == (str(root), None)  # a manifest: read as before


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """git allows any bytes in a file name; the snapshot shows them escaped instead of failing
    to write its JSON (it stopped with an internal error before)."""
    repo = tmp_path / "ws" / "r1"
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "plain").write_text("x\n")
    open(bytes(repo) + b"/bad\xffname", "wb").close()
    proc = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(tmp_path / "ws"), "--json"],
                          cwd=tmp_path, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)["git"][0]
    assert state["changed"] == ["bad\\xffname", "plain"] and state["dirty"]
    text = subprocess.run(["git", "orch", "ws", "snapshot", "--root", str(tmp_path / "ws")],
                          cwd=tmp_path, capture_output=True)
    assert text.returncode == 0 and b"dirty" in text.stdout, text.stderr
