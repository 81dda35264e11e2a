"""The state branch's loose objects are packed past a threshold, without git's gc hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitorch import events as ev
from gitorch.repo import find_repo
from gitorch.store.pack import loose_estimate, maybe_pack
from gitorch.store.state import StateStore
from tests.conftest import git


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
        if list(packs.glob("*.pack")):
            break
        store.append([ev.TaskStarted(run="r", task=f"more{n}")])
    assert loose_estimate(repo / ".git") == 0
    assert _loose(repo) == 0
    assert list(packs.glob("*.pack"))
    assert not (repo / ".git" / "gc-hook-ran").exists()
    assert len(store.events()) >= 6  # everything still reads
    assert git(repo, "fsck", "--no-progress", "--connectivity-only") == ""


def test_below_the_threshold_nothing_happens(repo: Path, backend: str) -> None:
    store = StateStore(find_repo(repo))
    store.append([ev.TaskStarted(run="r", task="t")])
    assert maybe_pack(repo / ".git", repo / ".git" / "orch") is None
    assert _loose(repo) > 0
