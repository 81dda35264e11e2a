"""Cross-repo includes: a plan file in another repository (a checkout or a URL), pinned by
commit in the user cache; errors located in that file with its repo; the digest follows it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import OrchRunner, git, make_repo

SHARED = "tasks:\n  - {id: LINT, title: Shared lint, commands: {check: 'true'}}\n"


def _validate(orch: OrchRunner, repo: Path) -> dict[str, object]:
    proc = orch("plan", "validate", "--json", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_checkout_include_joins_and_a_change_upstream_changes_the_digest(
        repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    shared = make_repo(tmp_path / "shared", {"common.yaml": SHARED})
    (repo / "orchestrator.yml").write_text(
        "include:\n  - {repo: ../shared, path: common.yaml, ref: main}\n"
        "tasks:\n  - {id: BUILD, dependencies: [LINT], commands: {check: 'true'}}\n")
    first = _validate(orch, repo)
    assert first["tasks"] == 2 and first["longest_chain"] == ["LINT", "BUILD"]
    assert _validate(orch, repo)["digest"] == first["digest"]  # same commit, same plan

    (shared / "common.yaml").write_text(SHARED.replace("check: 'true'", "check: 'true', again: 'true'"))
    git(shared, "commit", "-qam", "lint twice")
    assert _validate(orch, repo)["digest"] != first["digest"]  # as a local edit would


def test_url_include_is_fetched_and_pinned(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    shared = make_repo(tmp_path / "shared", {"ci/common.yaml": SHARED})
    git(tmp_path, "clone", "-q", "--bare", str(shared), str(tmp_path / "shared.git"))
    url = (tmp_path / "shared.git").as_uri()
    (repo / "orchestrator.yml").write_text(
        f"include: {{repo: '{url}', path: ci/common.yaml, ref: main}}\n"
        "tasks:\n  - {id: BUILD, dependencies: [LINT], commands: {check: 'true'}}\n")
    first = _validate(orch, repo)
    assert first["tasks"] == 2
    (shared / "ci/common.yaml").write_text(SHARED.replace("Shared lint", "Shared lint v2"))
    git(shared, "commit", "-qam", "v2")
    assert _validate(orch, repo)["digest"] == first["digest"]  # not pushed: the URL has the old one
    git(shared, "push", "-q", str(tmp_path / "shared.git"), "main")
    assert _validate(orch, repo)["digest"] != first["digest"]


def test_errors_are_located_in_the_included_file_with_its_repo(
        repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    shared = make_repo(tmp_path / "shared", {"common.yaml": "tasks:\n  - {id: LINT, bogus: 1}\n"})
    commit = git(shared, "rev-parse", "HEAD")[:12]
    (repo / "orchestrator.yml").write_text(
        "include:\n  - {repo: ../shared, path: common.yaml}\n"
        "  - {repo: ../nowhere, path: x.yaml}\n  - {repo: ../shared, path: ../escape.yaml}\n"
        "tasks:\n  - {id: BUILD, commands: {check: 'true'}}\n")
    proc = orch("plan", "validate", cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"../shared@{commit}:common.yaml:2" in proc.stderr and "bogus" in proc.stderr
    assert "include from '../nowhere': repo '../nowhere': no such checkout" in proc.stderr
    assert "path '../escape.yaml' must be a file inside that repository" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_change_upstream_invalidates_an_approval(repo: Path, tmp_path: Path, orch: OrchRunner) -> None:
    shared = make_repo(tmp_path / "shared", {"common.yaml": SHARED})
    (repo / "orchestrator.yml").write_text(
        "orchestrator: {approvals: {required: [ship]}}\n"
        "include:\n  - {repo: ../shared, path: common.yaml, ref: main}\n"
        "tasks:\n  - {id: DEPLOY, dependencies: [LINT], approvals: [ship], commands: {go: 'true'}}\n")
    git(repo, "add", "orchestrator.yml")
    git(repo, "commit", "-qm", "plan")
    waits = orch("run", cwd=repo)
    assert waits.returncode == 3, waits.stdout + waits.stderr
    assert orch("approve", "ship", cwd=repo).returncode == 0
    (shared / "common.yaml").write_text(SHARED.replace("Shared lint", "Shared lint v2"))
    git(shared, "commit", "-qam", "upstream change")
    again = orch("run", "--json", cwd=repo)
    assert again.returncode == 3, again.stdout + again.stderr
    assert json.loads(again.stdout)["stale_approvals"], again.stdout
