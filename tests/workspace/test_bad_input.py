"""Bad input: one clear message, a documented exit code, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .fixtures import git, manifest_text, tree_digest


def fails(cli: Any, *args: str, code: int, text: str) -> str:
    result = cli("ws", *args)
    assert result.exit_code == code, result.output
    assert text in result.output, result.output
    assert "Traceback" not in result.output
    return str(result.output)


def set_manifest(hub: Path, text: str) -> None:
    (hub / "workspace.toml").write_text(text)
    git(hub, "commit", "-qam", "manifest")


def test_repo_that_does_not_exist(hub: Path, cli: Any) -> None:
    set_manifest(hub, manifest_text(extra='\n[[repos]]\nname = "ghost"\npath = "../ghost"\n'))
    before = tree_digest(hub.parent)
    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    assert {"severity": "error", "repo": "ghost", "kind": "missing_repo"}.items() <= next(
        d for d in snap["diagnostics"] if d["repo"] == "ghost").items()
    fails(cli, "apply", code=2, text="repo ghost: no checkout at")
    assert tree_digest(hub.parent) == before


def test_url_that_cannot_be_cloned(hub: Path, cli: Any) -> None:
    set_manifest(hub, manifest_text(
        extra='\n[[repos]]\nname = "remote"\npath = "../remote"\nurl = "http://127.0.0.1:9/nothing.git"\n'))
    before = tree_digest(hub.parent)
    out = fails(cli, "apply", code=1, text="clone_repo remote")
    assert "rolled back" in out
    assert tree_digest(hub.parent) == before
    assert not (hub.parent / "remote").exists()


def test_consumer_that_does_not_declare_the_dependency(hub: Path, cli: Any) -> None:
    set_manifest(hub, manifest_text(links=[("npmapp", "rcrate")]))
    fails(cli, "plan", code=2, text="npmapp's manifests do not declare a dependency on rcrate")


def test_manifest_that_does_not_parse(hub: Path, cli: Any) -> None:
    (hub / "workspace.toml").write_text("[[repos]\nname = 'x'\n")
    out = fails(cli, "plan", code=2, text="workspace.toml")
    assert "cannot parse" in out


def test_manifest_with_unknown_link_repo(hub: Path, cli: Any) -> None:
    set_manifest(hub, manifest_text(links=[("npmapp", "nope")]))
    fails(cli, "plan", code=2, text="links[0].provider")


def test_unparsable_consumer_manifest_is_a_diagnostic(hub: Path, cli: Any) -> None:
    (hub.parent / "rapp/Cargo.toml").write_text("[package\n")
    snap = json.loads(cli("ws", "snapshot", "--json").stdout)
    assert any(d["kind"] == "unparsable_manifest" and d["repo"] == "rapp" for d in snap["diagnostics"])


def test_cycle_introduced_by_a_link(hub: Path, cli: Any) -> None:
    lib = hub.parent / "pylib"
    text = (lib / "pyproject.toml").read_text().replace('version = "0.1.0"\n',
                                                      'version = "0.1.0"\ndependencies = ["requests"]\n')
    (lib / "pyproject.toml").write_text(text)
    git(lib, "commit", "-qam", "needs requests")
    set_manifest(hub, manifest_text(links=[("app_uv", "pylib")])
                 + '\n[[links]]\nconsumer = "pylib"\nprovider = "app_uv"\ndep = "requests"\n')
    before = tree_digest(hub.parent)
    fails(cli, "plan", code=2, text="would introduce a dependency cycle: app_uv -> pylib -> app_uv")
    assert tree_digest(hub.parent) == before


def test_dirty_repo(hub: Path, cli: Any) -> None:
    (hub.parent / "goapp/main.go").write_text("package main\n")
    before = tree_digest(hub.parent)
    fails(cli, "apply", code=1, text="repo goapp has uncommitted changes (main.go)")
    assert tree_digest(hub.parent) == before
    assert cli("ws", "apply", "--force").exit_code == 0  # type: ignore[attr-defined]


def test_plan_edited_by_hand(hub: Path, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    cli("ws", "plan", "--out", str(out))
    plan = json.loads(out.read_bytes())
    plan["operations"][0]["params"]["link"]["replacement"] = "evil"
    out.write_text(json.dumps(plan))
    before = tree_digest(hub.parent)
    fails(cli, "apply", str(out), code=5, text="does not match its id")
    fails(cli, "verify", str(out), code=5, text="does not match its id")
    assert tree_digest(hub.parent) == before


def test_plan_made_for_another_workspace(hub: Path, cli: Any, tmp_path: Path) -> None:
    from .fixtures import build

    other = build(tmp_path / "other")
    out = tmp_path / "plan.json"
    import os

    cwd = os.getcwd()
    os.chdir(other)
    try:
        cli("ws", "plan", "--out", str(out))
    finally:
        os.chdir(cwd)
    fails(cli, "apply", str(out), code=5, text="was made for the workspace at")


def test_plan_file_that_is_not_a_plan(hub: Path, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.write_text('{"hello": 1}')
    fails(cli, "apply", str(out), code=2, text="not a workspace plan")
    fails(cli, "apply", str(tmp_path / "missing.json"), code=2, text="cannot read plan")


def test_no_manifest(repo: Path, cli: Any) -> None:
    fails(cli, "plan", code=2, text="no workspace.toml")


def test_teardown_without_attach_and_bad_mode(hub: Path, cli: Any) -> None:
    fails(cli, "teardown", code=2, text="nothing to tear down")
    cli("ws", "apply")
    fails(cli, "teardown", "--mode", "shred", code=2, text="unknown teardown mode")


def test_teardown_refuses_dirty_without_force(hub: Path, cli: Any) -> None:
    cli("ws", "apply")
    (hub.parent / "npmapp/index.js").write_text("x\n")
    fails(cli, "teardown", code=1, text="npmapp: index.js")
    assert cli("ws", "teardown", "--force").exit_code == 0  # type: ignore[attr-defined]
    assert (hub.parent / "npmapp/index.js").exists()


def test_credentials_in_a_url_never_reach_the_state_branch(hub: Path, cli: Any) -> None:
    from gitorch.config import open_store
    from gitorch.repo import find_repo
    from gitorch.workspace.manifest import redact_url

    assert redact_url("https://user:s3cret@example.org/x.git") == "https://***@example.org/x.git"
    assert redact_url("https://tok3n@example.org/x.git") == "https://***@example.org/x.git"
    assert redact_url("ssh://git:pw@host/x") == "ssh://git:***@host/x"
    assert redact_url("git@github.com:o/r.git") == "git@github.com:o/r.git"
    set_manifest(hub, manifest_text(
        extra='\n[[repos]]\nname = "remote"\npath = "../remote"\n'
              'url = "http://user:s3cret@127.0.0.1:9/nothing.git"\n'))
    out = fails(cli, "apply", code=1, text="clone_repo remote")
    assert "s3cret" not in out
    store = open_store(find_repo(hub))
    blob = b"".join(store.read(f"workspace/plans/{name}") or b"" for name in store.list("workspace/plans"))
    events = repr(store.events())
    assert blob and b"s3cret" not in blob and "s3cret" not in events


def test_out_that_cannot_be_written_is_bad_input_not_a_crash(hub: Path, orch: Any) -> None:
    for args in (["ws", "plan", "--out", "/nonexistent-dir/plan.json"],
                 ["ws", "snapshot", "--out", str(hub.parent)]):
        proc = orch(*args, "--json", cwd=hub)
        assert proc.returncode == 2, proc.stderr
        err = json.loads(proc.stdout)
        assert err["message"].startswith("cannot write --out") and err["file"] == args[-1]
    assert "ws_transition" not in orch("events", "--json", cwd=hub).stdout  # nothing recorded


def test_plan_file_that_cannot_be_read_names_it(hub: Path, orch: Any) -> None:
    proc = orch("ws", "verify", "missing-plan.json", "--json", cwd=hub)
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["file"] == "missing-plan.json"


def test_consumer_or_provider_manifest_that_does_not_parse_is_named(hub: Path, cli: Any) -> None:
    npmapp = hub.parent / "npmapp" / "package.json"
    good = npmapp.read_bytes()
    npmapp.write_text('{"name": "npmapp", "dependencies": {\n')
    out = fails(cli, "plan", code=2, text="link npmapp/npmlib: cannot parse npmapp/package.json:")
    assert "do not declare" not in out
    npmapp.write_bytes(good)
    (hub.parent / "rcrate" / "Cargo.toml").write_text("[package\n")
    fails(cli, "plan", code=2, text="link rapp/rcrate: cannot parse rcrate/Cargo.toml:")


def test_manifest_with_two_names_for_one_checkout_or_empty_values(hub: Path, cli: Any) -> None:
    set_manifest(hub, manifest_text(links=[], extra='\n[[repos]]\nname = "lib2"\npath = "../pylib/"\n'))
    fails(cli, "plan", code=2, text="path: same checkout as repo 'pylib'")
    for key in ("url", "path", "ref"):
        set_manifest(hub, manifest_text(links=[], extra=f'\n[[repos]]\nname = "x"\n{key} = " "\n'))
        fails(cli, "snapshot", code=2, text=f".{key}: must not be empty")


def test_teardown_not_matching_its_base_is_one_json_document(hub: Path, cli: Any) -> None:
    assert cli("ws", "apply").exit_code == 0
    with (hub.parent / "goapp" / "go.mod").open("a") as fh:
        fh.write("// edited by hand\n")
    result = cli("ws", "teardown", "--force", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)  # one document: the result, not the result and an error
    assert doc["verified"] is False and doc["differences"] == ["files/goapp/go.mod"]
