"""The kept answer's path (gitorch.hooks.kept): the hook's process tells and records a kept
answer without importing `os` or the observation's modules, says exactly what the full
observation says from the same files, and steps aside (None) whenever that could differ;
gitfiles.py reads what `os` would; record.py stamps its event as ids/journalfile do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch import events, ids, journalfile
from gitorch.hooks import gitfiles, kept, record, stalecache
from gitorch.hooks import install as hi
from gitorch.hooks import observe as ho
from gitorch.hooks.run import locate
from gitorch.repo import find_repo
from tests.conftest import git
from tests.hooks.hookutil import journal_events, orch_lines, run_git

ROOT = Path(__file__).resolve().parents[2]
BRANCH = "orch/state"


def _hook_process(
    repo: Path, old: str, new: str, env: dict[str, str] | None = None,
) -> tuple[list[str], set[str]]:
    """What the installed hook's Python prints for a branch checkout from `old` to `new`, run
    as hook.sh runs it (`-I -S`, gitorch's folder appended), and the modules it imported."""
    code = ("import sys\nsys.path.append(sys.argv[1])\nfrom gitorch.hooks.run import main\n"
            "main(sys.argv[2:])\nsys.stderr.write(' '.join(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT), "post-checkout", old, new, "1"],
                          cwd=repo, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=True)
    return proc.stdout.splitlines(), set(proc.stderr.split())


def _visit(repo: Path) -> tuple[str, str]:
    """Both branches visited through the installed hooks (answers kept for both); on main."""
    hi.install(find_repo(repo))
    run_git(repo, "checkout", "feature")
    run_git(repo, "checkout", "main")
    return git(repo, "rev-parse", "feature"), git(repo, "rev-parse", "main")


def test_a_kept_answer_is_told_without_os_and_as_the_full_observation(ran: Path) -> None:
    feature, main = _visit(ran)
    before = len(journal_events(ran))
    git(ran, "checkout", "-q", "feature")  # hooks run: the answer is read back
    said, modules = _hook_process(ran, main, feature)
    full = ho.observe(str(ran), branch=BRANCH, trigger="post-checkout")  # no kept file read
    assert said == full.notices() and said[0].startswith("orch: 3 tasks are stale")
    assert {"os", "gitorch.hooks.observe", "gitorch.gitcmd", "gitorch.hooks.watchindex",
            "gitorch.ids", "gitorch.journalfile", "__future__"}.isdisjoint(modules)
    assert "gitorch.hooks.kept" in modules
    observed = [e for e in journal_events(ran)[before:] if e["type"] == "observed"]
    assert len(observed) == 2  # the checkout's hook, and ours
    assert observed[-1]["findings"] == full.findings() and observed[-1]["drift"] is True
    got = kept.answer(str(ran / ".git"), str(ran), BRANCH, "t")
    assert got is not None and got.stale == full.stale and got.awaiting == full.awaiting


def test_no_kept_answer_means_the_full_observation(ran: Path) -> None:
    feature, main = _visit(ran)
    common = str(ran / ".git")
    git(ran, "checkout", "-q", "feature")
    assert kept.answer(common, str(ran), BRANCH, "t") is not None
    for path in (ran / ".git" / "orch" / stalecache.FOLDER).iterdir():
        path.unlink()
    assert kept.answer(common, str(ran), BRANCH, "t") is None
    said, modules = _hook_process(ran, main, feature)  # observes, and keeps the answer again
    assert said == ho.observe(str(ran), branch=BRANCH, trigger="t").notices()
    assert "gitorch.hooks.observe" in modules
    assert kept.answer(common, str(ran), BRANCH, "t") is not None


@pytest.mark.parametrize("change", ["workspace", "state moved", "replace ref", "another branch"])
def test_the_kept_path_steps_aside_where_the_answer_could_differ(ran: Path, change: str) -> None:
    _visit(ran)
    common, root = str(ran / ".git"), str(ran)
    git(ran, "checkout", "-q", "feature")
    assert kept.answer(common, root, BRANCH, "t") is not None
    if change == "workspace":  # the full observation also checks the workspace there
        (ran / "workspace.toml").write_text("")
    elif change == "state moved":  # a new state commit: the kept index line no longer names it
        tree = git(ran, "rev-parse", f"{BRANCH}^{{tree}}")
        new = git(ran, "commit-tree", tree, "-p", BRANCH, "-m", "moved")
        git(ran, "update-ref", f"refs/heads/{BRANCH}", new)
    elif change == "replace ref":
        git(ran, "replace", git(ran, "rev-parse", "feature"), git(ran, "rev-parse", "main"))
    else:
        git(ran, "branch", "other-state", BRANCH)
    assert kept.answer(common, root, "other-state" if change == "another branch" else BRANCH, "t") is None


@pytest.mark.parametrize("variable", ["GIT_DIR", "GITORCH_HOOK_DIFF", "GITORCH_STATE_BRANCH"])
def test_variables_that_change_the_question_leave_the_kept_path(ran: Path, variable: str) -> None:
    feature, main = _visit(ran)
    git(ran, "checkout", "-q", "feature")
    value = {"GIT_DIR": str(ran / ".git"), "GITORCH_HOOK_DIFF": f"{main} {feature}",
             "GITORCH_STATE_BRANCH": "nowhere"}[variable]
    said, modules = _hook_process(ran, main, feature, {variable: value})
    if variable == "GITORCH_STATE_BRANCH":  # no such branch: nothing kept, nothing to say
        assert said == [] and "gitorch.hooks.observe" in modules
    else:
        assert said[0].startswith("orch: 3 tasks are stale") and "gitorch.hooks.observe" in modules


def test_a_file_checkout_runs_only_the_kept_hook(ran: Path) -> None:
    legacy = ran / ".git" / "hooks" / "post-checkout"
    legacy.write_text('#!/bin/sh\necho "$*" >> "$(git rev-parse --git-common-dir)/marker"\n'
                      'exit "${KEPT_STATUS:-0}"\n')
    legacy.chmod(0o755)
    hi.install(find_repo(ran))
    before = journal_events(ran)
    (ran / "src" / "a.py").write_text("edited\n")
    proc = run_git(ran, "checkout", "--", "src/a.py")
    hook = ran / ".git" / "hooks" / "post-checkout"
    status = subprocess.run([str(hook), "a" * 40, "b" * 40, "0"], cwd=ran,
                            env={**os.environ, "KEPT_STATUS": "4"}).returncode
    assert orch_lines(proc) == [] and journal_events(ran) == before and status == 4
    assert (ran / ".git" / "marker").read_text().split()[-1] == "0"


def test_main_worktree_is_what_locate_finds(project: Path, tmp_path: Path) -> None:
    assert gitfiles.main_worktree(str(project)) == locate(str(project))
    git(project, "worktree", "add", "-q", str(tmp_path / "wt"), "feature")
    assert gitfiles.main_worktree(str(tmp_path / "wt")) is None  # locate reads its gitdir file
    assert gitfiles.main_worktree(str(project / "src")) is None


def test_getenv_reads_what_os_environ_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITORCH_TEST_VALUE", "é x")
    assert gitfiles.getenv("GITORCH_TEST_VALUE") == os.environ["GITORCH_TEST_VALUE"]
    monkeypatch.delenv("GITORCH_TEST_VALUE")
    assert gitfiles.getenv("GITORCH_TEST_VALUE") is None
    code = ("import sys\nsys.path.append(sys.argv[1])\nfrom gitorch.hooks import gitfiles\n"
            "before = 'os' in sys.modules\nv = gitfiles.getenv('GITORCH_TEST_VALUE')\nimport os\n"
            "print(before, v == os.environ['GITORCH_TEST_VALUE'],"
            " gitfiles.getenv('GITORCH_TEST_VALUE') == v)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT)], capture_output=True, text=True,
                         env={**os.environ, "GITORCH_TEST_VALUE": "é\udcff x"}, check=True).stdout
    assert out.split() == ["False", "True", "True"]


def test_the_hook_stamps_its_event_as_ids_does(tmp_path: Path) -> None:
    for name in ["s-01a24de2d7dd-10817", "a b/c:d", "", "ünï"]:
        assert record.journal_path(str(tmp_path), name) == journalfile.journal_path(str(tmp_path), name)
    eid, ts = record.new_id(), record.now()
    theirs = ids.new_id()
    assert re.fullmatch(r"[0-9a-f]{24}", eid) and len(eid) == len(theirs)
    assert abs(int(eid[:12], 16) - int(theirs[:12], 16)) < 60_000 and eid[12:16] == "0000"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts) and len(ts) == len(ids.now())
    own = record.session()
    assert re.fullmatch(rf"s-[0-9a-f]{{12}}-{os.getpid()}", own) and own == record.session()


def test_the_bare_process_event_is_folded_by_the_store(ran: Path) -> None:
    from gitorch.config import open_store

    feature, main = _visit(ran)
    git(ran, "checkout", "-q", "feature")
    _hook_process(ran, main, feature, {"GITORCH_SESSION": "s-hook-test"})
    path = Path(journalfile.journal_path(str(ran / ".git"), "s-hook-test"))
    line = path.read_bytes().splitlines()[-1]
    event = events.decode(line)
    assert isinstance(event, events.Observed) and event.session == "s-hook-test" and event.drift
    assert json.loads(line)["findings"] == ho.observe(str(ran), branch=BRANCH, trigger="t").findings()
    store = open_store(find_repo(ran))
    store.flush()
    assert not path.exists()
    assert "s-hook-test" in {e.session for e in store.events(types=["observed"])}


def test_hook_sh_reads_the_kept_formats_it_names() -> None:
    """The sh part compares a kept answer's first line and reads the kept index's: the
    same spellings as kept.py."""
    text = hi.template()
    assert f'"{kept.FORMAT} $blob"' in text
    assert f".git/orch/{kept.INDEX_FILE}" in text and f".git/orch/{kept.ANSWERS}/" in text


def test_a_kept_answer_records_the_event_the_full_observation_records(ran: Path) -> None:
    from gitorch import twins

    _visit(ran)
    git(ran, "checkout", "-q", "feature")
    common, head, ref = str(ran / ".git"), git(ran, "rev-parse", "HEAD"), f"refs/heads/{BRANCH}"
    doc = kept.index_header(common, ref, gitfiles.ref_oid(common, ref) or "")
    assert doc is not None
    hit = kept.load_answer(common, doc[0], head)
    full = ho.observe(str(ran), branch=BRANCH, trigger="t")
    assert hit is not None and hit["fields"] == twins.observed_fields(full.drift, full.findings())
    line = twins.observed_event("post-checkout", hit["fields"], "s-1", "i-1", "2026-01-01T00:00:00.000Z")
    assert line == twins.observed_line("post-checkout", full.drift, full.findings(), "s-1", "i-1",
                                       "2026-01-01T00:00:00.000Z")


def test_a_gitorch_process_records_in_its_own_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where ids and journalfile are loaded (a `git orch` command), the event joins that
    process's session and journal."""
    monkeypatch.delenv("GITORCH_SESSION", raising=False)
    path = record.record_observed(str(tmp_path), "manual", True, ["task a: x changed"])
    assert path == journalfile.journal_path(str(tmp_path), ids.session())
    event = events.decode(Path(path).read_bytes().strip())
    assert isinstance(event, events.Observed) and event.session == ids.session() and event.drift
