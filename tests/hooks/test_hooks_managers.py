"""Hooks beside other hook managers: never a write into a tracked file (husky's .husky/, a
committed .githooks/), `--into` an untracked folder, the printed one-line call, git's
config-based hooks (git >= 2.54), and `hooks status` for each case. Real repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitorch.hooks.where import HOOK_NAMES, config_hooks_supported, git_version, manual_call
from tests.conftest import OrchRunner, git
from tests.hooks.hookutil import orch_lines, run_git, write_watch

NEW_GIT = config_hooks_supported()
needs_config_hooks = pytest.mark.skipif(
    not NEW_GIT, reason=f"config-based hooks need git >= 2.54 (this is git "
                        f"{'.'.join(map(str, git_version()))})")
old_git_only = pytest.mark.skipif(NEW_GIT, reason="git >= 2.54 installs config-based hooks instead")


def _track_hooks(repo: Path, folder: str) -> Path:
    """A committed hooks folder with a post-checkout hook, and core.hooksPath pointing there."""
    hook = repo / folder / "post-checkout"
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\necho managed-hook-ran\n")
    hook.chmod(0o755)
    _commit_on_both(repo, folder, f"{folder} hooks")
    git(repo, "config", "core.hooksPath", folder)
    return hook


def _commit_on_both(repo: Path, path: str, message: str) -> None:
    """Commit `path` on main and merge it into `feature` (the tests check out `feature`)."""
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", message)
    git(repo, "-c", "core.hooksPath=/dev/null", "checkout", "-q", "feature")
    git(repo, "-c", "core.hooksPath=/dev/null", "merge", "-q", "--no-edit", "main")
    git(repo, "-c", "core.hooksPath=/dev/null", "checkout", "-q", "main")


def _status(orch: OrchRunner, repo: Path) -> dict[str, object]:
    import json

    proc = orch("hooks", "status", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@old_git_only
@pytest.mark.parametrize("folder", [".husky", ".githooks"])
def test_a_tracked_hooks_folder_is_refused_and_nothing_changes(
    project: Path, orch: OrchRunner, folder: str,
) -> None:
    hook = _track_hooks(project, folder)
    before = sorted(os.listdir(hook.parent)), hook.read_bytes()
    config_before = git(project, "config", "--local", "--list")
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 2
    assert f"core.hooksPath is {folder}, a folder git tracks" in proc.stderr
    assert "nothing was changed" in proc.stderr
    # the alternatives, by name: config-based hooks, --into, and the line to add by hand
    assert "2.54" in proc.stderr and "--into PATH" in proc.stderr
    for name in HOOK_NAMES:
        assert manual_call(name) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (sorted(os.listdir(hook.parent)), hook.read_bytes()) == before
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "config", "--local", "--list") == config_before
    assert _status(orch, project)["state"] == "missing"


@old_git_only
def test_the_printed_line_added_by_hand_observes(project: Path, orch: OrchRunner) -> None:
    hook = _track_hooks(project, ".githooks")
    write_watch(project, {"build": ["src"]})
    with hook.open("a") as fh:
        fh.write(manual_call("post-checkout") + "\n")
    info = _status(orch, project)
    assert (info["state"], info["mechanism"]) == ("missing", "call")  # two hooks to go
    for name in ("post-merge", "post-rewrite", "pre-commit"):
        (hook.parent / name).write_text(f"#!/bin/sh\n{manual_call(name)}\n")
        (hook.parent / name).chmod(0o755)
    _commit_on_both(project, ".githooks", "call gitorch")  # as the user shares the lines
    info = _status(orch, project)
    assert (info["state"], info["mechanism"]) == ("installed", "call")
    out = run_git(project, "checkout", "feature")
    assert "managed-hook-ran" in out.stdout + out.stderr
    assert any("1 task is stale" in line for line in orch_lines(out)), out.stderr
    assert "/" not in manual_call("post-checkout").split("||")[1].split()[0]  # no machine path
    file_checkout = run_git(project, "checkout", "--", "src/a.py")
    assert orch_lines(file_checkout) == []


@old_git_only
def test_into_an_untracked_folder_and_never_a_tracked_one(
    project: Path, orch: OrchRunner, tmp_path: Path,
) -> None:
    _track_hooks(project, ".husky")
    refused = orch("hooks", "install", "--into", ".husky", cwd=project)
    assert refused.returncode == 2 and "git tracks files there" in refused.stderr
    into = tmp_path / "gitorch-hooks"
    proc = orch("hooks", "install", "--into", str(into), cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "call them from your hooks" in proc.stdout
    for name in HOOK_NAMES:
        assert os.access(into / name, os.X_OK)
    assert git(project, "status", "--porcelain") == ""
    # the user's tracked hook calls it: git runs gitorch's hook through theirs
    write_watch(project, {"build": ["src"]})
    hook = project / ".husky" / "post-checkout"
    hook.write_text(f'#!/bin/sh\n"{into}/post-checkout" "$@"\n')
    _commit_on_both(project, ".husky", "call gitorch")
    out = run_git(project, "checkout", "feature")
    assert any("1 task is stale" in line for line in orch_lines(out)), out.stderr
    assert orch("hooks", "uninstall", "--into", str(into), cwd=project).returncode == 0
    assert not (into / "post-checkout").exists()


@old_git_only
def test_status_installed_bypassed_disabled_missing(project: Path, orch: OrchRunner) -> None:
    assert _status(orch, project)["state"] == "missing"
    assert orch("hooks", "install", cwd=project).returncode == 0
    info = _status(orch, project)
    assert (info["state"], info["mechanism"]) == ("installed", "file")
    theirs = project / ".git" / "hooks" / "post-rewrite"
    ours = theirs.read_bytes()
    theirs.write_text("#!/bin/sh\nexit 0\n")  # another tool replaced one
    info = _status(orch, project)
    assert (info["state"], info["mechanism"]) == ("missing", "file") and "post-rewrite" in str(info["detail"])
    theirs.write_bytes(ours)
    git(project, "config", "orch.hooks", "false")
    assert _status(orch, project)["state"] == "disabled"
    text = orch("hooks", "status", cwd=project).stdout
    assert text.startswith("hooks: disabled (hook files)") and "switched off by orch.hooks" in text
    git(project, "config", "--unset", "orch.hooks")
    (project / ".other-hooks").mkdir()
    git(project, "config", "core.hooksPath", ".other-hooks")  # another tool took over
    info = _status(orch, project)
    assert info["state"] == "bypassed" and "core.hooksPath is .other-hooks" in str(info["detail"])
    assert "drift hooks bypassed: core.hooksPath is .other-hooks" in orch("doctor", cwd=project).stdout


@needs_config_hooks
@pytest.mark.parametrize("folder", [None, ".husky"])
def test_config_based_hooks_touch_no_file(project: Path, orch: OrchRunner, folder: str | None) -> None:
    hook = _track_hooks(project, folder) if folder else None
    before = hook.read_bytes() if hook else None
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 0, proc.stderr
    events = git(project, "config", "--get-all", "hook.gitorch-observe.event").split()
    assert sorted(events) == sorted(HOOK_NAMES)
    assert git(project, "config", "--get", "hook.gitorch-observe.command")
    assert not any((project / ".git" / "hooks" / n).exists() for n in HOOK_NAMES)
    if hook:
        assert hook.read_bytes() == before
    assert git(project, "status", "--porcelain") == ""
    info = _status(orch, project)
    assert (info["state"], info["mechanism"]) == ("installed", "config")
    write_watch(project, {"build": ["src"]})
    out = run_git(project, "checkout", "feature")
    assert any("1 task is stale" in line for line in orch_lines(out)), out.stderr
    assert orch("hooks", "uninstall", cwd=project).returncode == 0
    assert git(project, "config", "--get-all", "hook.gitorch-observe.event") == ""
    assert _status(orch, project)["state"] == "missing"


def test_uninstall_leaves_a_tracked_folder_alone_and_says_how_to_restore(
    project: Path, orch: OrchRunner,
) -> None:
    from gitorch.hooks.install import render

    hook = _track_hooks(project, ".githooks")
    hook.write_text(render("/usr/bin/python3", "/somewhere"))  # what an older gitorch wrote there
    before = hook.read_bytes()
    proc = orch("hooks", "uninstall", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "post-checkout: skipped (in a folder git tracks: `git checkout --" in proc.stdout
    assert hook.read_bytes() == before
