"""The result cache: lookups, immutability, trust (pull requests never write), verify, gc."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from gitorch.ci.cache_admin import gc, verify
from gitorch.errors import UsageError
from gitorch.store import cacheentries as c
from tests.ci.conftest import orch
from tests.conftest import git, make_repo

PUSH = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
        "GITHUB_ACTOR": "octo"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r")


def test_put_then_lookup_and_entries_are_immutable(repo: Path) -> None:
    key = c.cache_key("d" * 64, ["TOKEN"])
    assert key != c.cache_key("d" * 64, [])  # the secret names a task receives are in the key
    assert c.lookup(repo, key) is None
    entry = c.put(repo, key, "build", "run-1", ci="https://ci/1", environ=PUSH)
    assert entry is not None and entry.writer == "octo"
    found = c.lookup(repo, key)
    assert found is not None and (found.task, found.run, found.oid) == ("build", "run-1", entry.oid)
    assert found.evidence() == f"cached: run run-1 on https://ci/1, key {key[:16]}"
    assert c.put(repo, key, "build", "run-2", environ=PUSH) is None  # never replaced
    assert c.lookup(repo, key).run == "run-1"  # type: ignore[union-attr]


@pytest.mark.parametrize("env, allowed", [
    (PUSH, True),
    ({**PUSH, "GITHUB_EVENT_NAME": "pull_request"}, False),
    ({**PUSH, "GITHUB_EVENT_NAME": "pull_request_target"}, False),
    ({**PUSH, "GITHUB_REF": "refs/heads/feature"}, False),
    ({**PUSH, "GITHUB_REF": "refs/heads/feature", "GITORCH_CACHE_WRITE_REFS": "refs/heads/*"}, True),
    ({"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_COMMIT_BRANCH": "main"}, False),
    ({"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main"}, True),
    ({}, True),  # a local run writes its own clone's cache
])
def test_trust_who_may_write(env: dict[str, str], allowed: bool) -> None:
    assert c.may_write(env)[0] is allowed


def test_a_pull_request_entry_is_refused(repo: Path) -> None:
    key = c.cache_key("e" * 64, [])
    with pytest.raises(UsageError, match="pull_request run reads the cache but never writes it"):
        c.put(repo, key, "build", "run-1", environ={**PUSH, "GITHUB_EVENT_NAME": "pull_request"})
    assert c.lookup(repo, key) is None


def test_verify_finds_a_tampered_entry(repo: Path) -> None:
    good = c.put(repo, c.cache_key("a" * 64, []), "a", "r1", environ=PUSH)
    other = c.put(repo, c.cache_key("b" * 64, []), "b", "r1", environ=PUSH)
    assert good and other
    assert verify(repo) == (2, [])
    # point a's entry at b's record: a lookup of a's key no longer finds it, verify names it
    git(repo, "update-ref", good.ref, other.oid)
    assert c.lookup(repo, good.key) is None
    count, problems = verify(repo)
    assert count == 2 and [p.ref for p in problems] == [good.ref]
    assert "not the key it is stored as" in problems[0].reason
    code, _, err = orch(repo, "cache", "verify")
    assert code == 1 and good.ref in err


def _ssh_signing(repo: Path, tmp: Path) -> None:
    key = tmp / "id"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    pub = (tmp / "id.pub").read_text().split()
    (tmp / "allowed").write_text(f"test@example.org {pub[0]} {pub[1]}\n")
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(key)),
                 ("gpg.ssh.allowedSignersFile", str(tmp / "allowed")), ("orch.cacheSign", "true")):
        git(repo, "config", k, v)


def test_signed_entries_verify_and_an_unsigned_rewrite_fails(repo: Path, tmp_path: Path) -> None:
    _ssh_signing(repo, tmp_path)
    entry = c.put(repo, c.cache_key("s" * 64, []), "s", "r1", environ=PUSH)
    assert entry is not None
    assert verify(repo, require_signed=True) == (1, [])
    # the same record, rewritten without the signature (as someone without the key would)
    body = git(repo, "log", "-1", "--format=%B", entry.oid)
    tree = git(repo, "rev-parse", f"{entry.oid}^{{tree}}")
    forged = git(repo, "commit-tree", tree, "-m", body)
    git(repo, "update-ref", entry.ref, forged)
    _, problems = verify(repo, require_signed=True)
    assert len(problems) == 1 and "not signed" in problems[0].reason


def test_gc_prunes_old_entries(repo: Path) -> None:
    old = c.put(repo, c.cache_key("o" * 64, []), "o", "r1", environ=PUSH)
    new = c.put(repo, c.cache_key("n" * 64, []), "n", "r2", environ=PUSH)
    assert old and new
    later = time.time() + 31 * 86400
    assert gc(repo, 30 * 86400, now=later) == sorted([old.ref, new.ref])
    assert verify(repo) == (0, [])
    code, out, _ = orch(repo, "cache", "gc", "--older-than", "30d")
    assert code == 0 and "removed 0" in out
    code, _, err = orch(repo, "cache", "gc", "--older-than", "soon")
    assert code == 2 and "--older-than 'soon'" in err


def test_a_run_skips_from_the_cache_and_restores_the_outputs(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "r", {
        ".gitignore": "out/\n",
        "orchestrator.yml": "version: 1\ntasks:\n  - id: build\n"
                            "    commands: {b: 'mkdir -p out/sub && echo built > out/sub/a.txt'}\n"
                            "    outputs: [out]\n",
    })
    monkeypatch.setenv("GITORCH_CACHE", "1")
    for var in ("GITHUB_ACTIONS", "GITLAB_CI"):  # a local run, even when the suite runs in CI
        monkeypatch.delenv(var, raising=False)
    code, out, err = orch(repo, "run")
    assert code == 0, out + err
    assert len(verify(repo)[1]) == 0 and verify(repo)[0] == 1
    # another machine: no state branch, no outputs; only the cache refs
    (repo / "out/sub/a.txt").unlink()
    git(repo, "update-ref", "-d", "refs/heads/orch/state")
    code, out, err = orch(repo, "run")
    assert code == 0, out + err
    assert "cached: run " in err and "1 output file restored" in err
    assert (repo / "out/sub/a.txt").read_text() == "built\n"
    code, out, _ = orch(repo, "report")
    assert "cached: run " in out  # the evidence is in the report too
    code, out, _ = orch(repo, "status")
    assert "skipped" in out and "cached: run " in out  # and in status


def test_cache_fetch_adds_the_remote_entries(repo: Path, tmp_path: Path) -> None:
    entry = c.put(repo, c.cache_key("f" * 64, []), "f", "r1", environ=PUSH)
    assert entry is not None
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(repo), str(other))
    code, out, err = orch(other, "cache", "fetch")
    assert code == 0 and "1 new cache entries from origin" in out, err
    assert c.lookup(other, entry.key) is not None
    code, _, err = orch(other, "cache", "fetch", "--remote", "nowhere")
    assert code == 2 and "cannot fetch cache entries from remote 'nowhere'" in err  # was "0 new"


def test_tasks_alike_but_for_their_outputs_never_restore_each_others_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Same commands, other outputs: one key restored a's files for b (and not b's)."""
    run = "mkdir -p out && echo a > out/a.txt && echo b > out/b.txt"
    repo = make_repo(tmp_path / "r", {
        ".gitignore": "out/\n",
        "orchestrator.yml": "version: 1\ntasks:\n"
                            f"  - {{id: a, commands: {{x: '{run}'}}, outputs: [out/a.txt]}}\n"
                            f"  - {{id: b, commands: {{x: '{run}'}}, outputs: [out/b.txt]}}\n",
    })
    monkeypatch.setenv("GITORCH_CACHE", "1")
    for var in ("GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(var, raising=False)
    code, out, err = orch(repo, "run")
    assert code == 0 and verify(repo)[0] == 2, out + err
    for name in ("a.txt", "b.txt"):
        (repo / "out" / name).unlink()
    git(repo, "update-ref", "-d", "refs/heads/orch/state")
    code, out, err = orch(repo, "run")
    assert code == 0 and err.count("1 output file restored") == 2, out + err
    assert (repo / "out/a.txt").read_text() == "a\n" and (repo / "out/b.txt").read_text() == "b\n"


def test_a_restore_writes_only_the_declared_outputs(tmp_path: Path) -> None:
    """A cache entry's tree holding more than the task declares (tampered, or another
    writer's) restores only the declared outputs: never a tracked file, a link or .git."""
    import subprocess

    from gitorch.store.outputtree import restore_tree

    repo = make_repo(tmp_path / "r", {"README.md": "mine\n"})

    def put(args: list[str], text: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, input=text, capture_output=True, text=True,
                              check=True).stdout.strip()

    def blob(text: str) -> str:
        return put(["hash-object", "-w", "--stdin"], text)

    out = put(["mktree"], f"100644 blob {blob('built')}\ta.txt\n120000 blob {blob('/etc/passwd')}\tlink\n")
    tree = put(["mktree"], f"100644 blob {blob('evil')}\tREADME.md\n040000 tree {out}\tout\n")
    assert restore_tree(repo, tree, ["out"]) == 1
    assert (repo / "out/a.txt").read_text() == "built"
    assert (repo / "README.md").read_text() == "mine\n"
    assert not (repo / "out/link").exists()
