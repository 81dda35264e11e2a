"""The state branch's loose objects are packed past a threshold, without git's gc hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.pack import loose_estimate, maybe_pack, wait_for_packer
from gitorch.store.state import StateStore
from tests.conftest import fsck, git


def _loose(repo: Path) -> int:
    out = git(repo, "count-objects", "-v")
    return int(dict(line.split(": ") for line in out.splitlines())["count"])


def test_loose_objects_are_packed_past_the_threshold(
    repo: Path, backend: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    hook = repo / ".git" / "hooks" / "pre-auto-gc"
    hook.write_text(f"#!/bin/sh\ntouch {repo / '.git' / 'gc-hook-ran'}\n")
    hook.chmod(0o755)
    store = StateStore(find_repo(repo))
    monkeypatch.setenv("GITORCH_PACK_LOOSE", "0")
    for i in range(5):
        store.append([ev.TaskStarted(run="r", task=f"t{i}")])
    assert _loose(repo) > 10
    monkeypatch.setenv("GITORCH_PACK_LOOSE", "1")  # any loose object in the sampled folder
    packs = repo / ".git" / "objects" / "pack"
    for n in range(2000):  # until an object lands in objects/17, which git samples
        wait_for_packer(repo / ".git" / "orch")  # git packs in the background
        if list(packs.glob("*.pack")):
            break
        store.append([ev.TaskStarted(run="r", task=f"more{n}")])
    assert loose_estimate(repo / ".git") == 0
    assert _loose(repo) == 0
    assert list(packs.glob("*.pack"))
    assert not (repo / ".git" / "gc-hook-ran").exists()
    assert len(store.events()) >= 6  # everything still reads
    assert fsck(repo, "--no-progress", "--connectivity-only") == ""


def test_below_the_threshold_nothing_happens(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    store.append([ev.TaskStarted(run="r", task="t")])
    assert maybe_pack(repo / ".git", repo / ".git" / "orch") is None
    assert _loose(repo) > 0


def test_the_packer_runs_in_the_background_and_holds_the_lock(
    repo: Path, backend: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gitorch.store.locks import funlock, try_flock

    store = StateStore(find_repo(repo))
    monkeypatch.setenv("GITORCH_PACK_LOOSE", "0")
    for i in range(3):
        store.append([ev.TaskStarted(run="r", task=f"t{i}")])
    monkeypatch.setenv("GITORCH_PACK_LOOSE", "1")
    monkeypatch.setattr("gitorch.store.pack.loose_estimate", lambda common_dir: 1)
    scratch = repo / ".git" / "orch"
    assert maybe_pack(repo / ".git", scratch) == "repack -d -q"  # started, not waited for
    wait_for_packer(scratch)
    assert _loose(repo) == 0 and list((repo / ".git" / "objects" / "pack").glob("*.pack"))
    with open(scratch / "locks" / "pack.lock", "ab") as fh:  # the packer let the lock go
        assert try_flock(fh)
        funlock(fh)
    store.append([ev.TaskStarted(run="r", task="after")])  # which packs in the background again
    wait_for_packer(scratch)
    store.append([ev.TaskStarted(run="r", task="last")])
    wait_for_packer(scratch)
    assert maybe_pack(repo / ".git", scratch, wait=True) == "repack -d -q"  # in the foreground
    assert _loose(repo) == 0
    assert len(store.events()) == 5


def test_fsck_in_tests_waits_for_the_background_packer(
    repo: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The packer's `repack -d` drops loose objects while a concurrent `git fsck` lists them
    ("unable to mmap … No such file or directory": CI's failure after the SIGKILL trials); the
    tests' `fsck` waits for it, so it reads a settled object store."""
    git(repo, "config", "gc.auto", "0")  # git's own gc --auto would race the same way
    for i in range(3000):
        (repo / "many" / f"f{i // 100}").mkdir(parents=True, exist_ok=True)
        (repo / "many" / f"f{i // 100}" / f"{i}.txt").write_text(f"{i}\n")
    git(repo, "add", "many")
    git(repo, "commit", "-q", "-m", "many loose objects")
    assert _loose(repo) > 3000
    monkeypatch.setenv("GITORCH_PACK_LOOSE", "1")
    assert maybe_pack(repo / ".git", repo / ".git" / "orch") == "repack -d -q"  # in the background
    fsck(repo, "--strict", "--no-dangling")
    assert _loose(repo) == 0  # fsck ran once the packer had ended
