"""The whole discovery flow through the real CLI, against a real local forge and indexes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from discovery_fakes import (
    FakeServer,
    add_repo,
    crates_crate,
    gh_cross_ref,
    gh_issue,
    gh_pull,
    hex_package,
    npm_packument,
    pypi_project,
    serve,
)

W, G = "acme/widgets", "acme/gadgets"
REPRO = "Steps to reproduce:\n```\nwidgets.login()\n```"


def forge_fixture(server: FakeServer) -> None:
    add_repo(server, W, [
        gh_issue(W, 1, "Auth token refresh fails", labels=("bug", "good first issue", "area: auth"),
                 body=REPRO, author="alice"),
        gh_issue(W, 2, "Crash on empty config", labels=("bug", "help wanted"), body=REPRO, author="alice"),
        gh_issue(W, 3, "Redesign the plugin API", labels=("enhancement", "needs design"), comments=25),
        gh_issue(W, 4, "Typo in docs", labels=("good first issue",), assignees=("carol",)),
        gh_issue(W, 5, "Flaky login test", labels=("help wanted",), body="Depends on #2"),
        gh_issue(W, 6, "Add a PR", pull=True),
    ], [gh_pull(W, 6, "Fix the crash", author="bob", body="Fixes #2")], per_page=2,
        timelines={4: [gh_cross_ref(W, 6)]}, topics=("auth", "http"))
    add_repo(server, G, [
        gh_issue(G, 10, "Port to the new widgets auth", labels=("help wanted",),
                 body=f"Needs {W}#1 first. Traceback below", author="dave"),
    ], language="Rust")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with serve() as s:
        forge_fixture(s)
        for key in ("FORGE", "PYPI", "NPM", "CRATES", "HEX"):
            monkeypatch.setenv(f"GITORCH_{key}_URL", s.url)
        monkeypatch.setenv("GITORCH_HTTP_RETRIES", "1")
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        yield s


Cli = Callable[..., Any]


def ok(result: Any) -> Any:
    assert result.exit_code == 0, (result.stdout, getattr(result, "stderr", ""))
    return json.loads(result.stdout) if result.stdout.lstrip().startswith(("{", "[")) else result.stdout


def state_tip(repo: Path) -> str | None:
    proc = subprocess.run(["git", "rev-parse", "-q", "--verify", "refs/heads/orch/state"], cwd=repo,
                          capture_output=True, text=True)
    return proc.stdout.strip() or None


def test_intent_discover_opportunities_flow(repo: Path, server: FakeServer, cli: Cli) -> None:
    first = ok(cli("intent", "I want to fix auth bugs", "--capability", "python", "--max-difficulty",
                   "medium", "--time", "2h", "--json"))
    assert first["capabilities"] == ["python", "auth"]
    assert first["preferences"]["bug_vs_feature"] == "bug"
    assert first["constraints"] == {"max_difficulty": "medium", "time_available": "2h"}
    assert first["effort"] == {"hours": 3.0, "difficulty": "medium", "fits": False}

    out = ok(cli("discover", "--repo", W, "--repo", G, "--json"))
    assert [(r["repo"], r["issues"], r["prs"]) for r in out["repos"]] == [(W, 5, 1), (G, 1, 0)]
    assert out["stats"]["requests"] == len(server.hits) and out["stats"]["not_modified"] == 0
    assert out["opportunities"] == {"blocked": 2, "claimed": 2, "needs_skills": 1, "ready_for_pr": 1}

    opps = ok(cli("opportunities", "--json"))["opportunities"]
    by_id = {o["id"]: o for o in opps}
    assert by_id[f"{W}#1"]["category"] == "ready_for_pr"
    assert by_id[f"{W}#2"]["category"] == "claimed" and by_id[f"{W}#2"]["linked_prs"] == [f"{W}#6"]
    assert by_id[f"{W}#4"]["category"] == "claimed"  # linked by the timeline's cross-reference
    assert by_id[f"{W}#3"]["category"] == "blocked"
    assert by_id[f"{W}#5"]["category"] == "blocked"  # depends on the open #2
    assert by_id[f"{G}#10"]["category"] == "needs_skills"  # Rust, and the intent named Python
    assert [o["score"] for o in opps] == sorted((o["score"] for o in opps), reverse=True)
    for o in opps:
        assert sum(s["score"] for s in o["signals"]) == o["score"]
    assert opps[0]["id"] == f"{W}#1" and opps[0]["next"] == f"git orch ws plan --for {W}#1"

    result = cli("opportunities", "--agent", "--category", "claimed")
    assert result.exit_code == 0
    agent = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(a["id"] for a in agent) == [f"{W}#2", f"{W}#4"]
    assert set(agent[0]["workspace_readiness"]) == {"repo_cloned", "repo_linked", "deps_resolved",
                                                    "tests_passing"}
    human = ok(cli("opportunities", "--limit", "1"))
    assert f"{W}#1" in human and "+50 beginner-friendly label" in human and "+10 has reproduction" in human

    # a new intent resolves against what discovery learned (labels and topics are capabilities)
    # and narrows the opportunities to its targets
    again = ok(cli("intent", "auth", "--json"))
    assert again["targets"] == [W] and again["skills"] == ["python"]
    assert {o["repo"] for o in ok(cli("opportunities", "--json"))["opportunities"]} == {W}


def test_second_discover_costs_only_304s_and_offline_needs_no_server(
    repo: Path, server: FakeServer, cli: Cli
) -> None:
    ok(cli("discover", "--repo", W, "--repo", G, "--json"))
    server.reset_log()
    out = ok(cli("discover", "--repo", W, "--repo", G, "--json"))
    assert out["stats"]["bytes"] == 0
    assert out["stats"]["requests"] == out["stats"]["not_modified"] == len(server.hits)
    assert all(h.conditional and h.status == 304 for h in server.hits)
    server.reset_log()
    off = ok(cli("discover", "--repo", W, "--repo", G, "--offline", "--json"))
    assert server.hits == [] and off["offline"] is True and off["stats"]["requests"] == 0


def test_packages_from_every_index(repo: Path, server: FakeServer, cli: Cli) -> None:
    server.json("/pypi/widgets/json", pypi_project("widgets", {"1.0": False, "1.1": "broken wheel",
                                                               "1.2": False}))
    server.json("/@acme%2Fwidgets", npm_packument("@acme/widgets", {"1.0.0": None, "2.0.0": "use 2.0.1",
                                                                    "2.0.1": None}))
    server.json("/api/v1/crates/widgets", crates_crate("widgets", {"0.1.0": True, "0.2.0": False}),
                etag=False, last_modified="Sat, 01 Nov 2026 10:00:00 GMT")
    server.json("/api/packages/widgets", hex_package("widgets", ["0.9.0", "1.0.0"],
                                                     {"0.9.0": ("security", "CVE-2026-1")}))
    args = ["discover", "--package", "pypi:widgets", "--package", "npm:@acme/widgets",
            "--package", "crates:widgets", "--package", "hex:widgets", "--json"]
    out = ok(cli(*args))
    got = {(p["index"], p["latest"], tuple(p["withdrawn"])) for p in out["packages"]}
    assert got == {("pypi", "1.2", ("1.1",)), ("npm", "2.0.1", ("2.0.0",)),
                   ("crates", "0.2.0", ("0.1.0",)), ("hex", "1.0.0", ("0.9.0",))}
    from gitorch.discovery.records import enrichment, store
    from gitorch.repo import find_repo

    parts = enrichment(store(find_repo()))
    assert sorted(parts) == ["crates", "hex", "npm", "pypi"]  # no forge repo discovered: no github
    assert parts["hex"]["packages"][0]["releases"][1] == {
        "version": "0.9.0", "published_at": "2026-01-01T00:00:00.000000Z", "yanked": True,
        "reason": "security: CVE-2026-1"}
    server.reset_log()
    again = ok(cli(*args))
    assert again["stats"]["not_modified"] == 4 and again["stats"]["bytes"] == 0
    # crates.io's fixture has Last-Modified only: answered 304 to If-Modified-Since
    assert any(h.path.startswith("/api/v1/crates") and h.status == 304 for h in server.hits)
    bad = cli("discover", "--package", "cargo:widgets")
    assert bad.exit_code == 2 and "ECOSYSTEM" in bad.stderr


def test_unknown_capability_suggests_the_nearest(repo: Path, server: FakeServer, cli: Cli) -> None:
    result = cli("intent", "anything", "--capability", "pyhton")
    assert result.exit_code == 2
    assert "unknown capability 'pyhton'" in result.stderr and "python" in result.stderr
    assert state_tip(repo) is None  # nothing stored
    bad_time = cli("intent", "x", "--time", "soon")
    assert bad_time.exit_code == 2 and "--time 'soon'" in bad_time.stderr


def test_malformed_answer_stores_nothing(repo: Path, server: FakeServer, cli: Cli) -> None:
    ok(cli("discover", "--repo", G))
    tip = state_tip(repo)
    server.raw(f"/repos/{W}/pulls?per_page=100&state=open", b'[{"number": 6,', "application/json")
    result = cli("discover", "--repo", W, "--repo", G, "--json")
    assert result.exit_code == 1
    err = json.loads(result.stdout)
    assert "malformed JSON" in err["message"] and "pulls" in err["message"]
    assert state_tip(repo) == tip


def test_html_forge_unknown_repo_and_token(repo: Path, server: FakeServer, cli: Cli,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    missing = cli("discover", "--repo", "acme/nope")
    assert missing.exit_code == 2 and "unknown repo acme/nope" in missing.stderr

    server.token = "ghp_s3cret_value"
    no_token = cli("discover", "--repo", W)
    assert no_token.exit_code == 2 and "GITHUB_TOKEN" in no_token.stderr
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_revoked")
    revoked = cli("discover", "--repo", W)
    assert revoked.exit_code == 2 and "GITHUB_TOKEN" in revoked.stderr and "ghp_revoked" not in revoked.stderr
    monkeypatch.delenv("GITHUB_TOKEN")
    ok(cli("secrets", "set", "GITHUB_TOKEN", input="ghp_s3cret_value\n"))  # the repo's secret store
    server.json("/user", {"login": "bob", "id": 1})
    out = ok(cli("discover", "--repo", W, "--json"))
    assert out["repos"][0]["user_prs"] == [f"{W}#6"]  # the user's own open PRs
    history = subprocess.run(["git", "log", "-p", "orch/state"], cwd=repo, capture_output=True,
                             text=True).stdout
    assert "ghp_s3cret_value" not in history

    server.token = None
    server.raw(f"/repos/{G}", b"<html><body>Please sign in</body></html>", "text/html")
    html = cli("discover", "--repo", G)
    assert html.exit_code == 1 and "HTML, not JSON" in html.stderr


def test_real_subprocess_and_no_httpx_at_cli_import(repo: Path, server: FakeServer,
                                                    orch: Callable[..., Any]) -> None:
    proc = orch("discover", "--repo", W, "--json", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["repos"][0]["issues"] == 5
    proc = orch("opportunities", "--category", "nonsense", cwd=repo)
    assert proc.returncode == 2 and "unknown category" in proc.stderr and "Traceback" not in proc.stderr
    # --offline answers from the cache (pages followed by their stored next links) without httpx
    proc = orch("discover", "--repo", W, "--offline", "--json", cwd=repo,
                env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["repos"][0]["issues"] == 5
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line]
    assert "gitorch.discovery.http" in imported and "httpx" not in imported
    code = "import sys, gitorch.cli.app; print('httpx' in sys.modules)"
    check = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert check.stdout.strip() == "False"


def test_requirements_and_desired_workspace(tmp_path: Path, server: FakeServer, cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from gitorch.context import build_context
    from gitorch.discovery.requirements import desired_manifest, plan_for, requirements_for
    from gitorch.repo import find_repo
    from tests.conftest import git, make_repo

    ws = tmp_path / "ws"
    gadgets = make_repo(ws / "gadgets", {"Cargo.toml": '[package]\nname = "gadgets"\nversion = "0.1.0"\n'
                                         '[dependencies]\nwidgets = { path = "../widgets" }\n'})
    git(gadgets, "remote", "add", "origin", f"https://github.com/{G}.git")
    (ws / "workspace.toml").write_text('[[repos]]\nname = "gadgets"\npath = "gadgets"\n')
    monkeypatch.chdir(gadgets)
    ok(cli("discover", "--repo", W, "--repo", G))
    req = requirements_for(build_context(repo=find_repo()), f"{G}#10")
    assert req.repos == [G, W]  # the issue names acme/widgets#1: a cross-repo change
    assert req.cross_repo and req.ephemeral  # widgets is not checked out here
    assert req.urls[W] == f"https://github.com/{W}.git"
    manifest = desired_manifest(find_repo(), req)
    assert [r.name for r in manifest.repos] == ["gadgets", "widgets"]
    assert manifest.repos[1].url == f"https://github.com/{W}.git"
    opp = ok(cli("opportunities", "--json"))["opportunities"]
    ready = {o["id"]: o["workspace_readiness"] for o in opp}
    assert ready[f"{G}#10"]["repo_cloned"] is True and ready[f"{W}#1"]["repo_cloned"] is False
    with pytest.raises(Exception, match="unknown opportunity"):
        requirements_for(build_context(repo=find_repo()), f"{W}#999")

    # the seed's flow continues: requirements -> desired workspace -> plan (widgets is cloned)
    plan, _req = plan_for(build_context(repo=find_repo()), f"{G}#10")
    clones = [op for op in plan.operations if op.type == "clone_repo"]
    assert [(op.target, op.params["url"]) for op in clones] == [("widgets", f"https://github.com/{W}.git")]


def test_discover_defaults_to_the_workspace_forge_repos(repo: Path, server: FakeServer, cli: Cli) -> None:
    from tests.conftest import git

    nothing = cli("discover")
    assert nothing.exit_code == 2 and "nothing to discover" in nothing.stderr
    git(repo, "remote", "add", "origin", f"git@github.com:{W}.git")
    out = ok(cli("discover", "--json"))
    assert [r["repo"] for r in out["repos"]] == [W]
    ready = {o["id"]: o["workspace_readiness"] for o in ok(cli("opportunities", "--json"))["opportunities"]}
    assert ready[f"{W}#1"] == {"repo_cloned": True, "repo_linked": True, "deps_resolved": True,
                               "tests_passing": False}
    # a run that completed in this repo (as the engine records it) means its tests pass
    from gitorch.config import open_store
    from gitorch.events import Completed
    from gitorch.repo import find_repo

    open_store(find_repo()).append([Completed(run="r1", status="completed")])
    ready = {o["id"]: o["workspace_readiness"] for o in ok(cli("opportunities", "--json"))["opportunities"]}
    assert ready[f"{W}#1"]["tests_passing"] is True


def test_score_weights_come_from_config(repo: Path, server: FakeServer, cli: Cli) -> None:
    ok(cli("discover", "--repo", W))
    before = {o["id"]: o["score"] for o in ok(cli("opportunities", "--json"))["opportunities"]}
    assert ok(cli("config", "set", "score_weights", "claimed=-100, beginner-friendly label=70")) is not None
    after = {o["id"]: o for o in ok(cli("opportunities", "--json"))["opportunities"]}
    assert after[f"{W}#2"]["score"] == before[f"{W}#2"] - 40  # claimed: -60 -> -100
    assert after[f"{W}#1"]["score"] == before[f"{W}#1"] + 20  # beginner-friendly: 50 -> 70
    assert {"label": "claimed", "score": -100} in after[f"{W}#2"]["signals"]
    ok(cli("config", "set", "score_weights", "clamied=-1"))
    bad = cli("opportunities")
    assert bad.exit_code == 2 and "unknown signal 'clamied'" in bad.stderr and "claimed" in bad.stderr


def test_intent_matches_a_repos_own_manifest(tmp_path: Path, cli: Cli,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import git, make_repo

    lib = make_repo(tmp_path / "authlib", {
        "pyproject.toml": '[project]\nname = "authlib"\nversion = "1"\nkeywords = ["OAuth", "jwt"]\n'
                          'dependencies = ["django>=4"]\n'})
    git(lib, "remote", "add", "origin", "https://github.com/acme/authlib")
    monkeypatch.chdir(lib)
    intent = ok(cli("intent", "token work", "--capability", "oauth", "--json"))
    assert intent["targets"] == ["acme/authlib"]
    assert intent["skills"] == ["django", "python"]  # keywords are topics, not skills
    framework = ok(cli("intent", "x", "--capability", "django", "--json"))
    assert framework["targets"] == ["acme/authlib"]


def test_workspace_packages_are_looked_up_and_unpublished_ones_skipped(
    tmp_path: Path, server: FakeServer, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import git, make_repo

    ws = tmp_path / "ws"
    lib = make_repo(ws / "widgets", {"pyproject.toml": '[project]\nname = "widgets"\nversion = "1"\n'})
    make_repo(ws / "internal", {"package.json": '{"name": "internal-tool", "version": "0.0.1"}'})
    (ws / "workspace.toml").write_text('[[repos]]\nname = "widgets"\npath = "widgets"\n'
                                       '[[repos]]\nname = "internal"\npath = "internal"\n')
    git(lib, "remote", "add", "origin", f"https://github.com/{W}.git")
    server.json("/pypi/widgets/json", pypi_project("widgets", {"1.0": False}))
    monkeypatch.chdir(lib)
    out = ok(cli("discover", "--json"))
    assert [r["repo"] for r in out["repos"]] == [W]
    assert [(p["index"], p["name"]) for p in out["packages"]] == [("pypi", "widgets")]
    assert out["unpublished"] == ["npm:internal-tool"]
    named = cli("discover", "--package", "npm:internal-tool")  # asked for by name: an error
    assert named.exit_code == 2 and "unknown package internal-tool on npm" in named.stderr


def test_ws_snapshot_carries_what_discovery_stored_without_network(
        repo: Path, server: FakeServer, cli: Cli) -> None:
    (repo / "workspace.toml").write_text('[[repos]]\nname = "here"\npath = "."\n')
    before = ok(cli("ws", "snapshot", "--json"))
    assert [before[k] for k in ("github", "pypi", "npm", "crates", "hex")] == [None] * 5
    server.json("/pypi/widgets/json", pypi_project("widgets", {"1.0": False, "1.1": "broken"}))
    ok(cli("discover", "--repo", W, "--package", "pypi:widgets"))
    server.reset_log()
    after = ok(cli("ws", "snapshot", "--json"))
    assert server.hits == []  # read from the state branch, not the network
    assert sorted(i["number"] for i in after["github"]["issues"]) == [1, 2, 3, 4, 5]
    assert [p["number"] for p in after["github"]["prs"]] == [6]
    assert [(p["name"], p["latest"]) for p in after["pypi"]["packages"]] == [("widgets", "1.0")]
    assert after["npm"] is None and after["hex"] is None
    assert after["id"] == before["id"]  # the id is the workspace's, not the forge's
    rooted = ok(cli("ws", "snapshot", "--root", str(repo), "--json"))  # repo found by a probe
    assert (rooted["github"], rooted["pypi"]) == (after["github"], after["pypi"])
    text = ok(cli("ws", "snapshot"))
    assert "discovered: 5 open issue(s), 1 open PR(s)" in text and "pypi: widgets 1.0" in text


def test_plan_for_clones_beside_a_hub_not_inside_it(tmp_path: Path, server: FakeServer, cli: Cli,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import git, make_repo

    ws = tmp_path / "ws"
    remote = make_repo(ws / "widgets-src", {"pyproject.toml": '[project]\nname = "widgets"\n'})
    server.json(f"/repos/{W}", {"full_name": W, "language": "Python",
                                "clone_url": remote.as_uri(), "default_branch": "main"})
    hub = make_repo(ws / "hub", {"workspace.toml": '[[repos]]\nname = "hub"\npath = "."\n'})
    monkeypatch.chdir(hub)
    ok(cli("discover", "--repo", W))
    out = ok(cli("ws", "plan", "--for", f"{W}#1", "--out", str(tmp_path / "plan.json")))
    assert "clone_repo widgets" in out
    ok(cli("ws", "apply", str(tmp_path / "plan.json")))
    assert (ws / "widgets" / "pyproject.toml").is_file()
    assert not (hub / "widgets").exists() and git(hub, "status", "--porcelain") == ""
