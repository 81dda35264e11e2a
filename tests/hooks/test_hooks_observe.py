"""What the hooks observe and say after real checkouts, merges and rewrites."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.hooks import install as hi
from gitorch.hooks import observe as ho
from gitorch.hooks import record as hr
from gitorch.repo import find_repo
from tests.conftest import OrchRunner, git
from tests.hooks.hookutil import journal_events, orch_lines, run_git, write_state, write_watch

ROOT = Path(__file__).resolve().parents[2]
AWAIT = [{"run": "r-0042", "task": "ship", "gate": "deploy"}]


@pytest.fixture
def hooked(project: Path) -> Path:
    """`project` with gitorch's hooks installed and a watch.json recorded on main."""
    hi.install(find_repo(project))
    write_watch(project, {"build": ["src"], "docs": ["docs"]}, awaiting=AWAIT)
    return project


def test_branch_checkout_reports_stale_tasks_and_gates(hooked: Path) -> None:
    proc = run_git(hooked, "checkout", "feature")
    lines = orch_lines(proc)
    assert lines == [
        "orch: 1 task is stale since its inputs changed: build (run `git orch explain`)",
        "orch: run r-0042 is waiting for approval of deploy",
    ]
    [event] = journal_events(hooked)
    assert event["type"] == "observed" and event["trigger"] == "post-checkout"
    assert event["drift"] is True
    assert "task build: src/a.py changed" in event["findings"]


def test_back_on_the_recorded_commit_nothing_is_stale(hooked: Path) -> None:
    run_git(hooked, "checkout", "-q", "feature")
    proc = run_git(hooked, "checkout", "main")
    assert orch_lines(proc) == ["orch: run r-0042 is waiting for approval of deploy"]
    assert journal_events(hooked)[-1].get("drift") is None  # omitted: False


def test_added_and_removed_files_count(hooked: Path) -> None:
    git(hooked, "checkout", "-q", "-b", "more")
    (hooked / "docs" / "new.md").write_text("new\n")
    git(hooked, "rm", "-q", "src/b.py")
    git(hooked, "add", "-A")
    git(hooked, "commit", "-q", "-m", "more")
    git(hooked, "checkout", "-q", "main")
    proc = run_git(hooked, "checkout", "more")
    assert orch_lines(proc)[0].startswith("orch: 2 tasks are stale since their inputs changed: build, docs")
    event = journal_events(hooked)[-1]
    assert "task build: src/b.py changed" in event["findings"]
    assert "task docs: docs/new.md changed" in event["findings"]


def test_merge_and_rewrite_observe_too(hooked: Path) -> None:
    proc = run_git(hooked, "merge", "-q", "--ff-only", "feature")
    assert "stale" in orch_lines(proc)[0]
    proc = run_git(hooked, "commit", "-q", "--amend", "-m", "reworded")
    assert "stale" in orch_lines(proc)[0]
    triggers = [e["trigger"] for e in journal_events(hooked)]
    assert triggers == ["post-merge", "post-rewrite"]


def test_file_checkout_and_checkout_b_start_nothing(hooked: Path, tmp_path: Path) -> None:
    spy = tmp_path / "spy-python"
    started = tmp_path / "started"
    spy.write_text(f'#!/bin/sh\necho x >> {started}\nexec {sys.executable} "$@"\n')
    spy.chmod(0o755)
    hi.install(find_repo(hooked), python=str(spy))
    (hooked / "src" / "a.py").write_text("edited\n")
    assert orch_lines(run_git(hooked, "checkout", "--", "src/a.py")) == []
    assert orch_lines(run_git(hooked, "checkout", "-b", "same-commit")) == []  # old == new
    assert not started.exists()
    assert journal_events(hooked) == []
    run_git(hooked, "checkout", "-q", "feature")
    assert started.read_text().count("x") == 1


@pytest.mark.parametrize("args, traced", [
    (["a" * 40, "b" * 40, "0"], 2),  # a file checkout: the first line's `case`, then the kept-hook test
    (["a" * 40, "a" * 40, "1"], 4),  # HEAD kept (`checkout -b`): the `if` after it
])
def test_nothing_to_observe_exits_before_the_rest_of_the_script(hooked: Path, args: list[str],
                                                                  traced: int) -> None:
    """What git runs on a file checkout is the script's first line: sh traces nothing of the
    rest (no config read, no ref looked up, no Python); a branch checkout goes on."""
    hook = hooked / ".git" / "hooks" / "post-checkout"
    proc = subprocess.run(["sh", "-x", str(hook), *args], cwd=hooked, capture_output=True, text=True)
    commands = [line for line in proc.stderr.splitlines() if line.startswith("+")]
    assert proc.returncode == 0 and len(commands) == traced
    assert commands[-1] == "+ exit 0" and f"{hook}.legacy" in commands[-2]  # dash: `+ [ -x ….legacy ]`
    moved = subprocess.run(["sh", "-x", str(hook), "a" * 40, "b" * 40, "1"], cwd=hooked,
                           capture_output=True, text=True)
    assert len([line for line in moved.stderr.splitlines() if line.startswith("+")]) > 10


def test_worktree_add_observes_in_the_new_worktree(hooked: Path, tmp_path: Path) -> None:
    proc = run_git(hooked, "worktree", "add", str(tmp_path / "wt"), "feature")
    stale = "orch: 1 task is stale since its inputs changed: build (run `git orch explain`)"
    assert stale in orch_lines(proc)
    assert journal_events(hooked)[-1]["trigger"] == "post-checkout"  # the shared common dir


@pytest.mark.parametrize("how", ["env", "env-OFF", "config", "config-c"])
def test_switched_off_does_nothing(hooked: Path, how: str) -> None:
    env = {"GITORCH_HOOKS": "0" if how == "env" else "OFF"} if how.startswith("env") else None
    if how == "config":
        git(hooked, "config", "orch.hooks", "No")
    args = ["-c", "orch.hooks=false"] if how == "config-c" else []
    proc = run_git(hooked, *args, "checkout", "feature", env=env)
    assert orch_lines(proc) == []
    assert journal_events(hooked) == []


def test_a_plan_that_says_touch_pwned_is_never_run(project: Path, tmp_path: Path) -> None:
    plan = """version: 1
tasks:
  - id: build
    paths: {preferred: [src]}
    commands: {build: "touch pwned", test: "touch ../pwned"}
    acceptance: ["Tests pass: touch pwned"]
  - id: docs
    commands: {make: "touch pwned"}
    dependencies: [build]
"""
    for branch in ("main", "feature"):
        git(project, "checkout", "-q", branch)
        (project / "orchestrator.yml").write_text(plan)
        git(project, "add", "orchestrator.yml")
        git(project, "commit", "-q", "-m", "plan")
    hi.install(find_repo(project))
    write_watch(project, {"build": ["src"], "docs": []}, awaiting=AWAIT)
    git(project, "checkout", "-q", "main")
    for step in (["checkout", "feature"], ["checkout", "main"], ["merge", "--no-edit", "feature"],
                 ["commit", "--amend", "-m", "x"], ["worktree", "add", str(tmp_path / "w"), "feature"]):
        run_git(project, *step)
    assert not list(project.rglob("pwned")) and not (tmp_path / "pwned").exists()
    assert not list((tmp_path / "w").rglob("pwned"))


def test_gitorch_gone_still_checks_out_with_one_line(hooked: Path, tmp_path: Path) -> None:
    hi.install(find_repo(hooked), python=str(tmp_path / "venv-gone" / "python"),
               path=str(tmp_path / "venv-gone"))
    no_gitorch = ":".join(p for p in ["/usr/local/bin", "/usr/bin", "/bin"])
    git_bin = shutil.which("git")
    assert git_bin
    env = {"PATH": f"{Path(git_bin).parent}:{no_gitorch}"}
    proc = subprocess.run([git_bin, "checkout", "feature"], cwd=hooked, capture_output=True,
                          text=True, env={**_base_env(), **env})
    assert proc.returncode == 0
    assert git(hooked, "branch", "--show-current") == "feature"
    lines = orch_lines(proc)
    assert len(lines) == 1 and "gitorch is gone" in lines[0]


def test_interpreter_without_gitorch_falls_back_to_git_orch(hooked: Path, tmp_path: Path) -> None:
    # The interpreter exists but gitorch is not where the hook looks: `git orch` on PATH answers.
    hi.install(find_repo(hooked), path=str(tmp_path / "empty"))
    proc = run_git(hooked, "checkout", "feature")
    assert orch_lines(proc)[0].startswith("orch: 1 task is stale")


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PATH"}


def test_newer_watch_schema_is_one_line(project: Path) -> None:
    hi.install(find_repo(project))
    write_state(project, {"watch.json": json.dumps({"schema_version": 9, "tasks": {}}).encode()})
    lines = orch_lines(run_git(project, "checkout", "feature"))
    assert len(lines) == 1 and "newer gitorch" in lines[0]


def test_broken_watch_json_never_fails_the_checkout(project: Path) -> None:
    hi.install(find_repo(project))
    write_state(project, {"watch.json": b"{not json"})
    lines = orch_lines(run_git(project, "checkout", "feature"))
    assert len(lines) == 1 and lines[0].startswith("orch: watch.json on orch/state is unreadable")
    write_state(project, {"watch.json": b"[]"})
    lines = orch_lines(run_git(project, "checkout", "main"))
    assert lines == ["orch: watch.json on orch/state is unreadable (a JSON list, not an object)"]


def test_no_state_branch_prints_and_records_nothing(project: Path) -> None:
    hi.install(find_repo(project))
    assert orch_lines(run_git(project, "checkout", "feature")) == []
    assert journal_events(project) == []


def test_state_branch_from_git_config(project: Path) -> None:
    hi.install(find_repo(project))
    git(project, "config", "orch.stateBranch", "team/state")
    write_state(project, {"watch.json": json.dumps({"tasks": {}, "awaiting": AWAIT}).encode()},
                branch="team/state")
    assert orch_lines(run_git(project, "checkout", "feature")) == [
        "orch: run r-0042 is waiting for approval of deploy"]


def _workspace(project: Path, lib: Path) -> None:
    """A workspace.toml and the applied state quick_drift reads (written by `ws apply`)."""
    (project / "workspace.toml").write_text("[repos]\n")
    state = project / ".git" / "orch" / "workspace"
    state.mkdir(parents=True)
    (state / "desired.json").write_text(json.dumps({"repos": {"lib": str(lib)}, "links": []}))


def test_workspace_drift_is_reported(project: Path, tmp_path: Path) -> None:
    hi.install(find_repo(project))
    _workspace(project, tmp_path / "lib-gone")
    lines = orch_lines(run_git(project, "checkout", "feature"))
    assert lines == [f"orch: workspace: repo lib is gone from {tmp_path / 'lib-gone'} (repo_deleted)"]


def test_a_broken_workspace_check_never_breaks_the_hook(project: Path, tmp_path: Path) -> None:
    _workspace(project, tmp_path / "lib")
    (project / ".git" / "orch" / "workspace" / "desired.json").write_text('{"repos": 7}')
    obs = ho.observe(str(project), branch="orch/state", trigger="manual")
    assert obs.workspace == []
    assert obs.problems[0].startswith("workspace drift check failed (AttributeError")


def test_git_variables_do_not_reach_other_repositories(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    _workspace(project, tmp_path / "lib")
    monkeypatch.setenv("GIT_DIR", str(project / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(project / ".git" / "index"))
    ho.observe(str(project), branch="orch/state", trigger="manual")
    assert "GIT_DIR" not in os.environ and "GIT_INDEX_FILE" not in os.environ


def test_observe_command_json(hooked: Path, orch: OrchRunner) -> None:
    git(hooked, "checkout", "-q", "feature")  # hooks fire: one event
    proc = orch("observe", "--json", cwd=hooked)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["stale"] == {"build": ["src/a.py"]}
    assert out["awaiting"] == AWAIT and out["drift"] is True and out["trigger"] == "manual"
    human = orch("observe", cwd=hooked)
    assert human.stdout.splitlines()[0].startswith("orch: 1 task is stale")
    assert [e["trigger"] for e in journal_events(hooked)] == ["post-checkout", "manual", "manual"]


def test_observe_command_without_state(repo: Path, orch: OrchRunner) -> None:
    proc = orch("observe", cwd=repo)
    assert proc.returncode == 0 and "no state branch yet" in proc.stdout


def test_odd_patterns_list_the_whole_tree(project: Path) -> None:
    tasks = {"odd": {"paths": ["/", "../x", " src "], "oids": ho.head_files(str(project), ["src"])}}
    asked: list[object] = []

    def listing(specs: object) -> dict[str, str]:
        asked.append(specs)
        return ho.head_files(str(project), None)

    assert ho.stale_tasks(tasks, listing) == {}
    assert asked == [None]


def test_tasks_without_paths_use_the_tree_digest(project: Path) -> None:
    files = ho.head_files(str(project), None)
    watch = {"tasks": {"all": {"paths": [], "oids": {}, "tree": ho.tree_digest(files)}}}
    assert ho.stale_tasks(watch["tasks"], lambda specs: files) == {}
    git(project, "checkout", "-q", "feature")
    now = ho.head_files(str(project), None)
    assert ho.stale_tasks(watch["tasks"], lambda specs: now) == {"all": ["(the tracked tree)"]}


def test_tree_digest_matches_the_engine(project: Path) -> None:
    from gitorch.engine.inputs import read_worktree

    assert ho.tree_digest(ho.head_files(str(project), None)) == read_worktree(project).tree_digest()


_names = st.sampled_from(["a", "b", "src", "docs", "x.py", "y.md", "a.b"])
_paths = st.lists(_names, min_size=1, max_size=3).map("/".join)


@settings(max_examples=150, deadline=None)
@given(files=st.lists(_paths, max_size=12, unique=True),
       patterns=st.lists(st.one_of(_paths, st.sampled_from(["*.py", "src/*", "./docs", ".", "src/",
                                                             "a*", "*/x.py", "[ab]", "/", "./",
                                                             " src ", "../a", "//", "A*", "SRC"])),
                         max_size=3))
def test_match_paths_is_one_copy_with_these_rules(files: list[str], patterns: list[str]) -> None:
    from fnmatch import fnmatchcase

    from gitorch import twins
    from gitorch.engine import inputs, worktree

    # the engine and the hook import the same function (it cannot drift)…
    assert inputs.match_paths is ho.match_paths is twins.match_paths
    assert worktree.tree_digest is ho.tree_digest is twins.tree_digest
    # …which follows the documented rules: "" and "." everything, a literal names a file or
    # the folder under it, a glob matches case-sensitively (also the folder it names)
    files = sorted(files)
    want: set[str] = set()
    for raw in patterns:
        pat = raw.strip().removeprefix("./")
        if pat in ("", "."):
            want.update(files)
        elif set(pat) & set("*?["):
            want.update(f for f in files if fnmatchcase(f, pat) or fnmatchcase(f, pat.rstrip("/") + "/*"))
        else:
            lit = pat.rstrip("/") or "/"
            want.update(f for f in files if f == lit or f.startswith(lit + "/"))
    assert ho.match_paths(files, patterns) == sorted(want)


def test_observed_line_is_what_msgspec_writes() -> None:
    from gitorch import events

    line = hr.observed_line("post-merge", True, ["task a: x changed", "é"], "s-1")
    decoded = events.decode(line.strip())
    assert isinstance(decoded, events.Observed)
    assert (decoded.trigger, decoded.drift, decoded.findings, decoded.session) == (
        "post-merge", True, ["task a: x changed", "é"], "s-1")
    assert events.encode(decoded) + b"\n" == line
    quiet = events.decode(hr.observed_line("manual", False, [], "s-2").strip())
    assert isinstance(quiet, events.Observed) and quiet.drift is False and quiet.findings == []
    assert hr.EVENT_SCHEMA_VERSION == events.EVENT_SCHEMA_VERSION


def test_the_store_folds_what_the_hook_journaled(project: Path) -> None:
    from gitorch.config import open_store

    hi.install(find_repo(project))
    store = open_store(find_repo(project))
    store.init()  # a real state branch, watch.json written by the store itself
    watch = {"tasks": {"build": {"paths": ["src"], "oids": ho.head_files(str(project), ["src"])}}}
    store.append([], files={"watch.json": json.dumps(watch).encode()})
    run_git(project, "checkout", "-q", "feature")
    observed = store.events(types=["observed"])
    assert [e.trigger for e in observed] == ["post-checkout"]  # type: ignore[attr-defined]
    store.flush()
    assert journal_events(project) == []
    assert [e.drift for e in store.events(types=["observed"])] == [True]  # type: ignore[attr-defined]


def test_hook_process_imports_only_the_standard_library() -> None:
    code = ("import sys; sys.path.append(sys.argv[1]); import gitorch.hooks.run, gitorch.hooks.observe,"
            " gitorch.hooks.record; print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT)], capture_output=True,
                         text=True, check=True).stdout.split()
    heavy = {"msgspec", "typer", "pygit2", "httpx", "click", "yaml", "portalocker", "typing",
             "dataclasses", "pathlib", "gitorch.errors", "gitorch.repo", "json", "re", "enum",
             "subprocess", "collections"}
    assert heavy.isdisjoint(out), heavy & set(out)


def test_locate_agrees_with_git(project: Path, tmp_path: Path) -> None:
    from gitorch.hooks.run import locate

    git(project, "worktree", "add", "-q", str(tmp_path / "wt"), "feature")
    for root in (project, tmp_path / "wt"):
        common = git(root, "rev-parse", "--path-format=absolute", "--git-common-dir")
        assert locate(str(root)) == (common, str(root))
    assert locate(str(project / "src")) is None  # not a work tree's root: git answers


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(value=_json_values)
def test_jsonlite_reads_what_json_reads(value: object) -> None:
    from gitorch.hooks import jsonlite

    text = json.dumps(value, indent=1)
    assert jsonlite.loads(text) == json.loads(text)
    assert jsonlite.loads(f" {text}\n") == json.loads(text)


@settings(max_examples=150, deadline=None)
@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                          lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(), inner, max_size=4), max_leaves=12))
def test_jsonlite_writes_what_json_writes(value: object) -> None:
    from gitorch.hooks import jsonlite

    assert jsonlite.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for sort_keys in (False, True):  # the engine's canonical text and the watch index use these
        for ascii_only in (False, True):
            assert jsonlite.dumps(value, sort_keys, ascii_only) == json.dumps(
                value, ensure_ascii=ascii_only, separators=(",", ":"), sort_keys=sort_keys)


@pytest.mark.parametrize("bad", ["", "{", "[1,]", "{} {}", "nul", '{"a": 1,}'])
def test_jsonlite_rejects_what_json_rejects(bad: str) -> None:
    # In a fresh hook-like process too, where json is not imported (the scanner needs it
    # to raise its error).
    code = ("import sys; sys.path.append(sys.argv[1]); from gitorch.hooks import jsonlite\n"
            "try:\n    jsonlite.loads(sys.argv[2])\nexcept ValueError as e:\n    print(type(e).__name__)")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(ROOT), bad], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "JSONDecodeError"


def test_git_quick_matches_git(project: Path) -> None:
    from gitorch.gitcmd import git as git_run
    from gitorch.gitcmd import git_quick

    for args, data in ((["rev-parse", "HEAD", "feature"], b""),
                       (["cat-file", "--batch-check"], b"HEAD\nnope\nHEAD:src/a.py\n"),
                       (["rev-parse", "--verify", "nope"], b""),
                       (["ls-tree", "-r", "-z", "HEAD"], b"")):
        slow = git_run(args, project, input=data, check=False)
        assert git_quick(args, str(project), input=data) == (slow.returncode, slow.stdout)
    big = b"HEAD\n" * 5000  # more than git_quick writes up front: falls back to subprocess
    assert git_quick(["cat-file", "--batch-check"], str(project), input=big)[1].count(b"commit") == 5000


def test_an_unwritable_journal_still_prints_what_was_seen(hooked: Path) -> None:
    (hooked / ".git" / "orch").mkdir()
    (hooked / ".git" / "orch" / "journal").write_text("a file where the journal folder goes")
    lines = orch_lines(run_git(hooked, "checkout", "feature"))
    assert lines[0].startswith("orch: 1 task is stale")
    assert lines[-1].startswith("orch: could not record this observation")


def _checkout_without_gitorch(repo: Path, tmp_path: Path, branch: str) -> list[str]:
    """Check out `branch` with the hook's interpreter gone and no `git orch` on PATH: the
    hook prints its "gitorch is gone" line exactly when it tried to start Python."""
    gone = tmp_path / "venv-gone"
    hi.install(find_repo(repo), python=str(gone / "python"), path=str(gone))
    git_bin = shutil.which("git")
    assert git_bin
    env = {**_base_env(), "PATH": f"{Path(git_bin).parent}:/usr/bin:/bin"}
    proc = subprocess.run([git_bin, "checkout", "-q", branch], cwd=repo, capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    return orch_lines(proc)


def test_no_state_branch_and_no_workspace_start_no_python(project: Path, tmp_path: Path) -> None:
    # Nothing to observe: the sh part sees there is no state branch (loose or packed) and no
    # workspace.toml, and exits like an `exit 0` hook.
    assert _checkout_without_gitorch(project, tmp_path, "feature") == []
    # A packed state branch (named in git config) is seen: Python is wanted, and is gone.
    git(project, "config", "orch.stateBranch", "team/state")
    write_state(project, {"watch.json": b'{"tasks": {}}'}, branch="team/state")
    git(project, "pack-refs", "--all")
    assert not (project / ".git" / "refs" / "heads" / "team" / "state").exists()
    lines = _checkout_without_gitorch(project, tmp_path, "main")
    assert len(lines) == 1 and "gitorch is gone" in lines[0]
    # Without a state branch, a workspace.toml still wants Python (workspace drift).
    git(project, "update-ref", "-d", "refs/heads/team/state")
    (project / "workspace.toml").write_text("[repos]\n")
    lines = _checkout_without_gitorch(project, tmp_path, "feature")
    assert len(lines) == 1 and "gitorch is gone" in lines[0]


def test_state_branch_named_in_config_with_the_default_present(project: Path) -> None:
    # The sh reads orch.stateBranch once and hands it on; Python must not fall back to the
    # default branch when the config names another one.
    hi.install(find_repo(project))
    write_state(project, {"watch.json": json.dumps({"tasks": {}, "awaiting": AWAIT}).encode()})
    git(project, "config", "orch.stateBranch", "team/state")
    write_state(project, {"watch.json": b'{"tasks": {}}'}, branch="team/state")
    assert orch_lines(run_git(project, "checkout", "feature")) == []
    git(project, "config", "--unset", "orch.stateBranch")
    assert orch_lines(run_git(project, "checkout", "main")) == [
        "orch: run r-0042 is waiting for approval of deploy"]


@pytest.mark.parametrize("where", ["main", "worktree"])
def test_a_rebase_tells_once(hooked: Path, tmp_path: Path, where: str) -> None:
    # A rebase checks out its base (post-checkout), then reports the commits it replayed
    # (post-rewrite): one notice, one observation, at the end.
    repo = hooked
    if where == "worktree":
        repo = tmp_path / "wt"
        run_git(hooked, "worktree", "add", "-q", "--detach", str(repo), "main")
    run_git(repo, "checkout", "-q", "-b", "topic", "main")
    (repo / "docs" / "more.md").write_text("more\n")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "more docs")
    before = len(journal_events(hooked))
    proc = run_git(repo, "rebase", "-q", "feature")
    lines = orch_lines(proc)
    assert len([ln for ln in lines if "stale" in ln]) == 1, lines
    assert [e["trigger"] for e in journal_events(hooked)[before:]] == ["post-rewrite"]
    # A rebase with nothing to replay is a fast-forward: no post-rewrite, so its checkout tells.
    run_git(repo, "checkout", "-q", "-b", "behind", "main")
    before = len(journal_events(hooked))
    proc = run_git(repo, "rebase", "-q", "feature")
    assert len([ln for ln in orch_lines(proc) if "stale" in ln]) == 1
    assert [e["trigger"] for e in journal_events(hooked)[before:]] == ["post-checkout"]


def test_a_corrupt_state_branch_is_one_line_or_silent(project: Path) -> None:
    # Whatever is on the state branch, the checkout succeeds and the hook says at most one
    # line that names the problem (not JSON's complaint about a tree's bytes, not a garbled gate).
    hi.install(find_repo(project))
    empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    tree = subprocess.run(["git", "mktree", "--missing"], cwd=project, check=True, capture_output=True,
                          input=f"040000 tree {empty_tree}\twatch.json\n".encode()).stdout.decode().strip()
    git(project, "update-ref", "refs/heads/orch/state", git(project, "commit-tree", tree, "-m", "x"))
    assert orch_lines(run_git(project, "checkout", "feature")) == [
        "orch: watch.json on orch/state is unreadable (not a file)"]
    write_state(project, {"watch.json": b'{"schema_version": "1"}'})
    assert orch_lines(run_git(project, "checkout", "main")) == [
        "orch: watch.json on orch/state is unreadable (schema_version '1' is not a number)"]
    odd = {"tasks": {"t": {"paths": 5}, "u": [1]}, "awaiting": [1, {"run": []}, {"run": "r-1", "gate": "g"}]}
    write_state(project, {"watch.json": json.dumps(odd).encode()})
    assert orch_lines(run_git(project, "checkout", "feature")) == [
        "orch: run r-1 is waiting for approval of g"]
    (project / ".git" / "refs" / "heads" / "orch" / "state").write_text("garbage\n")
    assert orch_lines(run_git(project, "checkout", "main")) == []


def test_observe_agrees_with_explain_right_after_a_pass(tmp_path: Path, orch) -> None:
    """No false 'stale': untracked build products under a task's paths, and a commit that
    only edits the plan (which a task without paths ignores), are not input changes."""
    from tests.conftest import git, make_repo

    plan = (
        "version: 1\ntasks:\n"
        "  - id: build\n    paths: [src]\n"
        "    commands: {pyc: \"mkdir -p src/__pycache__ && echo x > src/__pycache__/a.pyc\"}\n"
        "  - id: test\n    commands: {t: \"true\"}\n"
    )
    repo = make_repo(tmp_path / "r", {"src/a.py": "A = 1\n", "orchestrator.yml": plan})
    assert orch("run", "--all", cwd=repo).returncode == 0
    observed = orch("observe", "--json", cwd=repo)
    assert observed.returncode == 0, observed.stderr
    assert json.loads(observed.stdout)["stale"] == {}, observed.stdout
    (repo / "orchestrator.yml").write_text(plan + "# a comment\n")
    git(repo, "commit", "-qam", "plan: comment")
    observed = orch("observe", "--json", cwd=repo)
    assert "test" not in json.loads(observed.stdout).get("stale", {}), observed.stdout
    explained = orch("explain", "test", cwd=repo)
    assert "skip" in explained.stdout, explained.stdout
