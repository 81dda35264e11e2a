"""Installing and removing the hooks in real repositories, with hooks that were there before."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.hooks import install as hi
from gitorch.repo import find_repo
from tests.conftest import OrchRunner, git
from tests.hooks.hookutil import orch_lines, run_git

ROOT = Path(__file__).resolve().parents[2]

MARKER_HOOK = """#!/bin/sh
echo "$0 $*" >> "$(git rev-parse --git-common-dir)/marker"
"""


def _hooks(repo: Path) -> Path:
    return repo / ".git" / "hooks"


def test_template_is_the_one_source(tmp_path: Path) -> None:
    for name in hi.HOOK_NAMES:
        link = ROOT / "hooks" / name
        assert link.resolve() == (ROOT / "gitorch" / "hooks" / "hook.sh").resolve()
    assert hi.template() == (ROOT / "gitorch" / "hooks" / "hook.sh").read_text()
    assert hi.CURRENT_VERSION >= 1
    assert os.access(ROOT / "gitorch" / "hooks" / "hook.sh", os.X_OK)


def test_render_quotes_paths() -> None:
    text = hi.render("/opt/my python/bin/python3", "/srv/it's here")
    assert "GITORCH_PYTHON='/opt/my python/bin/python3'\n" in text
    assert "GITORCH_PATH='/srv/it'\"'\"'s here'\n" in text
    assert hi.template_version(text) == hi.CURRENT_VERSION


def test_existing_hook_is_kept_and_both_run(project: Path, orch: OrchRunner) -> None:
    hook = _hooks(project) / "post-checkout"
    hook.write_text(MARKER_HOOK)
    hook.chmod(0o755)
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert "kept as post-checkout.legacy" in proc.stdout
    assert (_hooks(project) / "post-checkout.legacy").read_text() == MARKER_HOOK
    run_git(project, "checkout", "-q", "feature")
    marker = (project / ".git" / "marker").read_text().splitlines()
    assert len(marker) == 1 and marker[0].endswith(" 1")  # the old hook ran, with git's args
    assert marker[0].split()[0].endswith("post-checkout.legacy")


def test_kept_post_rewrite_hook_gets_stdin(project: Path) -> None:
    hook = _hooks(project) / "post-rewrite"
    hook.write_text('#!/bin/sh\ncat > "$(git rev-parse --git-common-dir)/rewritten"\n')
    hook.chmod(0o755)
    hi.install(find_repo(project))
    old = git(project, "rev-parse", "HEAD")
    run_git(project, "commit", "-q", "--amend", "-m", "amended")
    new = git(project, "rev-parse", "HEAD")
    assert (project / ".git" / "rewritten").read_text().split() == [old, new]


def test_kept_hook_exit_status_is_kept(project: Path) -> None:
    hook = _hooks(project) / "post-merge"
    hook.write_text("#!/bin/sh\nexit 3\n")
    hook.chmod(0o755)
    hi.install(find_repo(project))
    git(project, "checkout", "-q", "-b", "other")
    (project / "new.txt").write_text("x\n")
    git(project, "add", "new.txt")
    git(project, "commit", "-q", "-m", "new")
    git(project, "checkout", "-q", "main")
    import subprocess

    proc = subprocess.run(["git", "merge", "-q", "--no-edit", "other"], cwd=project,
                          capture_output=True, text=True)
    assert proc.returncode == 0  # git ignores post-merge's status; the merge happened
    assert (project / "new.txt").exists()


def test_install_twice_leaves_one_hook(project: Path, orch: OrchRunner) -> None:
    assert orch("hooks", "install", cwd=project).returncode == 0
    first = {h: (_hooks(project) / h).read_bytes() for h in hi.HOOK_NAMES}
    proc = orch("hooks", "install", "--json", cwd=project)
    assert proc.returncode == 0
    assert '"did":"unchanged"' in proc.stdout
    assert {h: (_hooks(project) / h).read_bytes() for h in hi.HOOK_NAMES} == first
    assert not list(_hooks(project).glob("*.legacy"))
    assert first["post-checkout"].count(hi.MARKER.encode()) == 1


def test_older_gitorch_hook_is_upgraded_in_place(project: Path) -> None:
    old = hi.render(sys.executable, hi.gitorch_path()).replace(
        f"{hi.MARKER} {hi.CURRENT_VERSION}", f"{hi.MARKER} 0")
    (_hooks(project) / "post-checkout").write_text(old)
    _, actions = hi.install(find_repo(project))
    did = {a.hook: a.did for a in actions}
    assert did["post-checkout"] == "upgraded"
    assert not (_hooks(project) / "post-checkout.legacy").exists()
    assert hi.template_version((_hooks(project) / "post-checkout").read_text()) == hi.CURRENT_VERSION


def test_uninstall_restores_the_original(project: Path, orch: OrchRunner) -> None:
    hook = _hooks(project) / "post-checkout"
    hook.write_text(MARKER_HOOK)
    hook.chmod(0o750)
    orch("hooks", "install", cwd=project)
    proc = orch("hooks", "uninstall", cwd=project)
    assert proc.returncode == 0, proc.stderr
    assert hook.read_text() == MARKER_HOOK
    assert stat.S_IMODE(hook.stat().st_mode) == 0o750
    assert not (_hooks(project) / "post-checkout.legacy").exists()
    assert not (_hooks(project) / "post-merge").exists()
    # uninstalling again changes nothing
    assert orch("hooks", "uninstall", cwd=project).returncode == 0
    assert hook.read_text() == MARKER_HOOK


def test_legacy_in_the_way_needs_force(project: Path, orch: OrchRunner) -> None:
    for name in ("post-checkout", "post-checkout.legacy"):
        (_hooks(project) / name).write_text(f"#!/bin/sh\n# {name}\n")
        (_hooks(project) / name).chmod(0o755)
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 2
    assert "post-checkout.legacy" in proc.stderr and "Traceback" not in proc.stderr
    assert not (_hooks(project) / "post-merge").exists()  # nothing half-done
    assert orch("hooks", "install", "--force", cwd=project).returncode == 0
    assert "# post-checkout\n" in (_hooks(project) / "post-checkout.legacy").read_text()


def test_core_hooks_path_inside_the_repo(project: Path, orch: OrchRunner) -> None:
    git(project, "config", "core.hooksPath", ".githooks")
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 0
    assert "core.hooksPath is set (.githooks)" in proc.stdout
    assert (project / ".githooks" / "post-checkout").exists()
    assert not (_hooks(project) / "post-checkout").exists()
    status = orch("hooks", "status", "--json", cwd=project)
    assert '"core_hooks_path":".githooks"' in status.stdout
    assert '"state":"installed"' in status.stdout
    # git runs it from there
    out = run_git(project, "checkout", "feature")
    assert "gitorch is gone" not in out.stderr


def test_core_hooks_path_shared_needs_force(project: Path, tmp_path: Path, orch: OrchRunner) -> None:
    shared = tmp_path / "shared-hooks"
    git(project, "config", "core.hooksPath", str(shared))
    proc = orch("hooks", "install", cwd=project)
    assert proc.returncode == 2
    assert "outside this repository" in proc.stderr
    assert orch("hooks", "install", "--force", cwd=project).returncode == 0
    assert (shared / "post-merge").exists()


def test_pre_commit_hook_runs_ours_as_its_legacy(project: Path) -> None:
    pre_commit = "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n"
    (_hooks(project) / "post-checkout").write_text(pre_commit)
    _, actions = hi.install(find_repo(project))
    assert (_hooks(project) / "post-checkout").read_text() == pre_commit
    assert hi.template_version((_hooks(project) / "post-checkout.legacy").read_text())
    state = hi.describe(_hooks(project), "post-checkout")
    assert state.state == "installed" and state.pre_commit
    hi.uninstall(find_repo(project))
    assert (_hooks(project) / "post-checkout").read_text() == pre_commit
    assert not (_hooks(project) / "post-checkout.legacy").exists()


def test_status_names_a_gone_interpreter(project: Path, orch: OrchRunner, tmp_path: Path) -> None:
    hi.install(find_repo(project), python=str(tmp_path / "gone" / "python"))
    proc = orch("hooks", "status", cwd=project)
    assert "is gone" in proc.stdout
    assert "post-rewrite: installed" in proc.stdout
    hi.install(find_repo(project), path=str(tmp_path / "gone"))
    assert hi.describe(_hooks(project), "post-merge").gitorch_found is False
    hi.install(find_repo(project))
    assert hi.describe(_hooks(project), "post-merge").gitorch_found is True


def test_not_a_repo_is_one_message(tmp_path: Path, orch: OrchRunner) -> None:
    proc = orch("hooks", "install", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not inside a git repository" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("hook", ["post-checkout"])
def test_worktrees_share_the_hooks(project: Path, tmp_path: Path, hook: str) -> None:
    hi.install(find_repo(project))
    wt = tmp_path / "wt"
    proc = run_git(project, "worktree", "add", "-q", str(wt), "-b", "wt-branch")
    assert len(orch_lines(proc)) <= 1
    where = hi.hooks_dir(find_repo(wt))
    assert where.path == _hooks(project).resolve()
    assert hi.describe(where.path, hook).state == "installed"


def test_hooks_folder_that_is_a_file_is_one_message(project: Path, orch: OrchRunner) -> None:
    (project / "hooksfile").write_text("not a folder\n")
    git(project, "config", "core.hooksPath", "hooksfile")
    for args in (["hooks", "install"], ["hooks", "install", "--json"]):
        proc = orch(*args, cwd=project)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stdout + proc.stderr
        assert "hooksfile: it is a file, not a folder" in proc.stdout + proc.stderr
    assert orch("hooks", "status", cwd=project).returncode == 0
    assert orch("hooks", "uninstall", cwd=project).returncode == 0
    assert (project / "hooksfile").read_text() == "not a folder\n"


def test_unwritable_hooks_folder_changes_nothing_and_says_so(project: Path, orch: OrchRunner) -> None:
    hooks = _hooks(project)
    # root ignores permission bits: an immutable folder stands in for a read-only one there
    lock = ["chattr", "+i", str(hooks)] if os.geteuid() == 0 else ["chmod", "a-w", str(hooks)]
    unlock = ["chattr", "-i", str(hooks)] if os.geteuid() == 0 else ["chmod", "u+w", str(hooks)]
    if subprocess.run(lock, capture_output=True).returncode != 0:
        pytest.skip("cannot make the hooks folder read-only here")
    try:
        before = sorted(p.name for p in hooks.iterdir())
        proc = orch("hooks", "install", cwd=project)
        assert proc.returncode == 2, proc.stderr
        assert f"cannot install hooks in {hooks}" in proc.stderr
        assert "(nothing was changed)" in proc.stderr and "internal error" not in proc.stderr
        assert sorted(p.name for p in hooks.iterdir()) == before
    finally:
        subprocess.run(unlock, check=True)
    assert orch("hooks", "install", cwd=project).returncode == 0
    subprocess.run(lock, check=True)
    try:
        proc = orch("hooks", "uninstall", "--json", cwd=project)
        assert proc.returncode == 2
        assert "cannot uninstall hooks in" in proc.stdout and "internal error" not in proc.stdout
    finally:
        subprocess.run(unlock, check=True)
