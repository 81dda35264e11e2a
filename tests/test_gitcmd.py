"""The git helper every gitorch git call goes through."""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.gitcmd import git as orch_git
from tests.conftest import git, make_repo


def test_own_checkouts_do_not_fire_gitorch_hooks(tmp_path: Path) -> None:
    """A checkout gitorch makes (e.g. in a workspace repo) runs hooks with GITORCH_HOOKS=0."""
    repo = make_repo(tmp_path / "r")
    git(repo, "branch", "other")
    seen = tmp_path / "seen"
    hook = repo / ".git" / "hooks" / "post-checkout"
    hook.write_text(f'#!/bin/sh\necho "${{GITORCH_HOOKS-unset}}" >> "{seen}"\n')
    hook.chmod(0o755)
    orch_git(["checkout", "-q", "other"], repo)
    assert seen.read_text().split() == ["0"]


def test_git_repo_variables_do_not_leak(tmp_path: Path, monkeypatch) -> None:
    """Inside a hook git exports GIT_DIR; a call on another repository must not inherit it."""
    a = make_repo(tmp_path / "a")
    b = make_repo(tmp_path / "b", {"only-in-b.txt": "b\n"})
    monkeypatch.setenv("GIT_DIR", str(a / ".git"))
    out = orch_git(["ls-files"], b).stdout.decode()
    assert "only-in-b.txt" in out
    assert os.environ["GIT_DIR"] == str(a / ".git")



def test_popen_keeps_a_batch_process_and_stop_ends_it(tmp_path: Path, monkeypatch) -> None:
    """git_popen: a long-lived `cat-file --batch` answers line by line; stop() closes it."""
    from gitorch.gitcmd import git_popen, stop

    repo = make_repo(tmp_path / "r", {"f.txt": "hello\n"})
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # must not leak into the child
    proc = git_popen(["cat-file", "--batch"], repo, stdin=True)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"HEAD:f.txt\n")
    proc.stdin.flush()
    header = proc.stdout.readline().split()
    assert header[1:] == [b"blob", b"6"]
    assert proc.stdout.read(7) == b"hello\n\n"
    assert stop(proc) == 0
    assert proc.stdout.closed


def test_popen_collects_later_and_drops_stderr(tmp_path: Path) -> None:
    from gitorch.gitcmd import git_popen

    repo = make_repo(tmp_path / "r")
    proc = git_popen(["cat-file", "blob", "HEAD:missing"], repo)
    out, err = proc.communicate()
    assert proc.returncode != 0 and out == b"" and err is None


def test_git_start_runs_the_git_on_path_looked_up_per_path(tmp_path: Path, monkeypatch) -> None:
    from gitorch.gitcmd import git_quick

    real = git_quick(["--version"])
    assert real[0] == 0 and real[1].startswith(b"git version")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\necho fake \"$@\"\n")
    (fake / "git").chmod(0o755)
    (tmp_path / "not-git").mkdir()
    (tmp_path / "not-git" / "git").mkdir()  # a folder named git is passed over, as execvp does
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "not-git"), str(fake), path]))
    assert git_quick(["--version"]) == (0, b"fake --version\n")  # a new PATH: looked up again
    monkeypatch.setenv("PATH", os.pathsep.join(["relative", str(fake), path]))
    assert git_quick(["--version"]) == (0, b"fake --version\n")  # left to posix_spawnp
    monkeypatch.setenv("PATH", path)
    assert git_quick(["--version"]) == real
