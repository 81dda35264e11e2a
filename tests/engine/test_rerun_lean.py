"""A skip-everything re-run of a real `git orch run` process loads only what it needs (issue 15,
P2): the modules are checked in the process itself, and what a later change makes the same
command do shows the skipped parts still work when needed."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from tests.conftest import OrchRunner, git
from tests.engine.helpers import plan_repo, write_plan

TASKS = [
    {"id": "a", "paths": {"preferred": ["a/"]}, "commands": {"t": "true"}},
    {"id": "b", "dependencies": ["a"], "paths": {"preferred": ["b/"]}, "commands": {"t": "true"}},
]
# reading, checking and normalizing a plan: a plan the plan cache holds needs none of them
PLAN_READING = {"gitorch.plan.loader", "gitorch.plan.validate", "gitorch.plan.normalize",
                "gitorch.plan.source", "gitorch.plan.acceptance", "gitorch.plan.spec",
                "gitorch.plan.structure", "gitorch.plan.remote_include", "gitorch.plan.repos"}


def _repo(path: Path) -> Path:
    return plan_repo(path, {"a/one.txt": "one\n", "b/x.txt": "x\n"}, TASKS)


def _run_imports(root: Path) -> tuple[dict[str, int], set[str]]:
    """A real `git orch run -j2 --json` process in `root`: its counts and the modules it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitorch", "run", "-j2", "--json"],
                          cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    counts: dict[str, int] = json.loads(proc.stdout)["counts"]
    return counts, found


def test_a_cached_plan_loads_none_of_the_plan_reading(tmp_path: Path, orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0
    counts, found = _run_imports(root)
    assert counts == {"skipped": 2}
    assert "gitorch.plan.load" in found and "gitorch.engine.skipall" in found  # it did load and skip
    assert not found & PLAN_READING, found & PLAN_READING
    assert not found & {"hashlib", "_hashlib"}  # its digests are small: CPython's own (gitorch/digests)
    # imported by pathlib, msgspec and subprocess for nothing a run uses (gitorch/standins)
    assert not found & {"urllib.parse", "ipaddress", "platform", "textwrap", "locale", "ntpath",
                        "msgspec.inspect", "msgspec._json_schema", "msgspec.toml", "msgspec.yaml"}
    # the enums of signal.py: engine/signals needs only the C module's signal() (~2.8 M instructions)
    assert "signal" not in found
    # changing settings, and reporting an error: a run that ends well does neither
    assert not found & {"gitorch.config.write", "gitorch.atomic", "gitorch.cli.lean_guard"}
    # an edited plan misses the cache: the same command reads, checks and runs it
    write_plan(root, [*TASKS, {"id": "c", "commands": {"t": "true"}}])
    counts, found = _run_imports(root)
    assert counts == {"skipped": 2, "completed": 1}
    assert {"gitorch.plan.loader", "gitorch.plan.validate", "gitorch.plan.normalize"} <= found
    # a broken plan is still refused with its located problem (exit 2), never taken from the cache
    (root / "orchestrator.json").write_text('{"version": 1, "tasks": [{"id": "a", "dependencies": ["zz"]}]}')
    bad = orch("run", cwd=root)
    assert bad.returncode == 2 and "zz" in bad.stderr and "Traceback" not in bad.stderr


def _git_commands(root: Path, orch: OrchRunner, tmp_path: Path) -> tuple[dict[str, Any], list[str]]:
    """`git orch run --json` in `root` with GIT_TRACE: its summary and every git command it ran."""
    trace = tmp_path / "trace.txt"
    trace.unlink(missing_ok=True)
    proc = orch("run", "--json", cwd=root, env={"GIT_TRACE": str(trace)})
    assert proc.returncode == 0, proc.stderr
    ran = [line.split("built-in: ", 1)[1] for line in trace.read_text().splitlines()
           if "built-in: git " in line]
    summary: dict[str, Any] = json.loads(proc.stdout)
    return summary, ran


def test_a_run_resolves_head_in_the_rev_parse_that_finds_the_repository(tmp_path: Path,
                                                                        orch: OrchRunner) -> None:
    root = _repo(tmp_path / "r")
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["commit"] == git(root, "rev-parse", "HEAD") and summary["noted"] is True
    heads = [c for c in ran if c.startswith("git rev-parse") and c.endswith(" HEAD")]
    assert len(heads) == 1 and heads[0].endswith("--show-toplevel --verify -q HEAD"), ran
    # before the first commit: no commit recorded, the run runs all the same
    bare_start = tmp_path / "u"
    bare_start.mkdir()
    git(bare_start, "init", "-q")
    write_plan(bare_start, TASKS)
    for d in ("a", "b"):
        (bare_start / d).mkdir()
        (bare_start / d / "f.txt").write_text(d)
    summary, ran = _git_commands(bare_start, orch, tmp_path)
    assert summary["commit"] is None and summary["counts"] == {"completed": 2}
    assert len([c for c in ran if c.startswith("git rev-parse") and c.endswith(" HEAD")]) == 1, ran
    # from a subfolder: the same repository, the same HEAD
    summary, _ = _git_commands(root / "a", orch, tmp_path)
    assert summary["commit"] == git(root, "rev-parse", "HEAD") and summary["counts"] == {"skipped": 2}


def test_a_run_reads_gits_config_once_for_settings_and_store(tmp_path: Path, orch: OrchRunner,
                                                            backend: str) -> None:
    """One `git config` at entry (gitorch/earlyconfig) serves the orch.* settings and the store's
    keys: the commit's author, how loose objects are compressed, a setting from git config."""
    root = _repo(tmp_path / "r")
    git(root, "config", "user.name", "Early Reader")
    git(root, "config", "user.email", "early@example.com")
    git(root, "config", "core.looseCompression", "0")
    git(root, "config", "orch.dashboard", "true")  # TASKS.md written into the work tree too
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["counts"] == {"completed": 2}
    assert len([c for c in ran if c.startswith("git config")]) == 1, ran
    assert (root / "TASKS.md").is_file()
    tip = git(root, "rev-parse", "refs/heads/orch/state")
    assert git(root, "log", "-1", "--format=%an <%ae>", tip) == "Early Reader <early@example.com>"
    if backend == "cli":  # objects written in-process at the level git's config asks (0: stored)
        raw = (root / ".git/objects" / tip[:2] / tip[2:]).read_bytes()  # zlib, its window fitted
        assert raw[0] & 0x0F == 8 and raw[1] >> 6 == 0 and len(raw) > len(zlib.decompress(raw))
    # the same answers when git's config changes between runs (nothing kept across processes)
    git(root, "config", "user.name", "Later Reader")
    git(root, "config", "orch.dashboard", "false")
    (root / "TASKS.md").unlink()
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["counts"] == {"skipped": 2} and not (root / "TASKS.md").exists()
    tip = git(root, "rev-parse", "refs/heads/orch/state")
    assert git(root, "log", "-1", "--format=%an", tip) == "Later Reader"


GC_PROBE = """
import gc, sys
from gitorch.engine import driver, skipall
seen = {}
real_skip, real_loop = skipall.skip_all, driver.RunDriver.loop
def skip_all(d):
    done = real_skip(d)
    seen["after skip_all"] = gc.isenabled()
    return done
def loop(self):
    seen["loop"] = gc.isenabled()
    return real_loop(self)
skipall.skip_all, driver.RunDriver.loop = skip_all, loop
from gitorch.cli.entry import main
try:
    main(["run", "-j2", "--json"])
except SystemExit as exit:
    sys.stderr.write(repr(sorted(seen.items())) + " " + str(exit.code))
"""


def test_the_collector_goes_on_only_when_commands_run(tmp_path: Path, orch: OrchRunner) -> None:
    """A run that skips every task never turns the cyclic collector on (gitorch/collector);
    a run whose loop runs commands has it on from the loop's start, as before."""
    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0

    def probe() -> str:
        proc = subprocess.run([sys.executable, "-c", GC_PROBE], cwd=root, capture_output=True, text=True)
        return proc.stderr.strip().splitlines()[-1]

    assert probe() == "[('after skip_all', False)] 0"
    (root / "b" / "x.txt").write_text("changed\n")
    assert probe() == "[('after skip_all', False), ('loop', True)] 0"


def test_the_repo_config_read_at_entry_is_the_one_settings_read(tmp_path: Path, orch: OrchRunner) -> None:
    """The repo config on the state branch is read at entry for the default branch name
    (gitorch/earlyconfig): its values count, the same as read later; a run whose state branch
    is named elsewhere reads that branch's instead."""
    from gitorch import earlyconfig
    from gitorch.config.model import Settings
    from gitorch.store.layout import REPO_CONFIG

    assert (Settings().state_branch, REPO_CONFIG) == (earlyconfig.STATE_BRANCH, earlyconfig.REPO_CONFIG)
    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0
    assert orch("config", "set", "--repo", "dashboard", "true", cwd=root).returncode == 0
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["counts"] == {"skipped": 2} and (root / "TASKS.md").is_file()
    assert len([c for c in ran if c.startswith("git cat-file blob")]) == 1, ran
    # another state branch (its config.toml says nothing): the early read is not used
    (root / "TASKS.md").unlink()
    git(root, "config", "orch.stateBranch", "orch/other")
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["counts"] == {"completed": 2} and not (root / "TASKS.md").exists()
    git(root, "config", "--unset", "orch.stateBranch")
    summary, ran = _git_commands(root, orch, tmp_path)
    assert summary["counts"] == {"skipped": 2} and (root / "TASKS.md").is_file()


def test_status_takes_its_settings_from_the_config_read_at_entry(tmp_path: Path, orch: OrchRunner) -> None:
    """`status` (like next and explain) starts git config and the repo config read at entry
    (cli/entry, gitorch/earlyconfig): the settings they give count as before."""
    root = _repo(tmp_path / "r")
    assert orch("run", cwd=root).returncode == 0
    trace = tmp_path / "status-trace.txt"

    def status() -> tuple[dict[str, Any], list[str]]:
        trace.unlink(missing_ok=True)
        proc = orch("status", "--json", cwd=root / "a", env={"GIT_TRACE": str(trace)})
        assert proc.returncode == 0, proc.stderr
        ran = [line.split("built-in: ", 1)[1] for line in trace.read_text().splitlines()
               if "built-in: git " in line]
        doc: dict[str, Any] = json.loads(proc.stdout)
        return doc, ran

    doc, ran = status()
    assert doc["run"] is not None and len([c for c in ran if c.startswith("git config")]) == 1, ran
    git(root, "config", "orch.stateBranch", "orch/other")  # a branch without runs
    doc, ran = status()
    assert doc["run"] is None, doc
    assert len([c for c in ran if c.startswith("git cat-file blob")]) <= 1, ran
