"""End to end on the five-ecosystem workspace: attach, observe, drift, repair, teardown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gitorch.workspace.observe import quick_drift

from .fixtures import LINKS, statuses, tree_digest


def run(cli: Any, *args: str, code: int = 0) -> Any:
    result = cli("ws", *args)
    assert result.exit_code == code, result.output
    return result


def test_attach_observe_drift_repair_teardown(hub: Path, cli: Any) -> None:
    root = hub.parent
    before = tree_digest(root)

    run(cli, "apply")
    changed = {k for k in tree_digest(root) if tree_digest(root)[k] != before.get(k)}
    # Go and Cargo links live in uncommitted overlays (go.work, .cargo/config.toml).
    assert changed == {"app_uv/pyproject.toml", "app_pep/pyproject.toml", "rapp/.cargo/config.toml",
                       "goapp/go.work", "npmapp/package.json", "exapp/mix.exs"}
    snap = json.loads(run(cli, "snapshot", "--json").stdout)
    assert sorted(lk["repo"] + "/" + lk["provider"] for lk in snap["links"]) == sorted(
        f"{c}/{p}" for c, p in LINKS)

    observed = json.loads(run(cli, "observe", "--json").stdout)
    assert (observed["drift"], observed["findings"]) == (False, [])
    # No consumer here has a .venv or node_modules, and go and mix may be absent: each link is
    # "not verified" (with its reason), never counted as effective.
    assert {lk["key"]: lk["state"] for lk in observed["links"]} == {
        f"{c}/{p}": "not_verified" for c, p in LINKS}
    assert quick_drift(hub) == []

    # A hand edit takes the link away: drift is named, both by observe and by the hook path.
    pkg = root / "npmapp/package.json"
    pkg.write_text(pkg.read_text().replace('"file:../npmlib"', '"^1.0.0"'))
    observed = json.loads(run(cli, "observe", "--json", code=1).stdout)
    kinds = {(f["kind"], f["repo"]) for f in observed["findings"]}
    assert kinds == {("file_modified", "npmapp"), ("link_broken", "npmapp")}
    assert any("npmapp/package.json" in line and "file_modified" in line for line in quick_drift(hub))

    plan = json.loads(run(cli, "repair", "--dry-run", "--json").stdout)
    assert [(op["type"], op["target"]) for op in plan["operations"]] == [("create_link", "npmapp/npmlib")]
    run(cli, "repair")
    assert json.loads(run(cli, "observe", "--json").stdout)["drift"] is False
    assert "file:../npmlib" in pkg.read_text()

    result = json.loads(run(cli, "teardown", "--mode", "detach", "--json").stdout)
    assert result["verified"] is True and result["differences"] == []
    assert tree_digest(root) == before
    assert all(status == "" for status in statuses(root).values())
    assert quick_drift(hub) == []


def test_every_transition_is_recorded(hub: Path, cli: Any, tmp_path: Path) -> None:
    from gitorch.config import open_store
    from gitorch.repo import find_repo

    run(cli, "plan", "--out", str(tmp_path / "plan.json"))
    plan = json.loads((tmp_path / "plan.json").read_bytes())
    run(cli, "apply", str(tmp_path / "plan.json"))
    store = open_store(find_repo(hub))
    states = [(e.plan_id, e.state) for e in store.events(types=["ws_transition"])]  # type: ignore[attr-defined]
    assert states == [(plan["id"], "draft"), (plan["id"], "planned"), (plan["id"], "verified"),
                      (plan["id"], "executing"), (plan["id"], "committed")]
    assert store.read(f"workspace/plans/{plan['id']}.json") is not None
    # Applying without a saved plan records its draft and planned states too.
    (hub.parent / "npmapp/package.json").write_text((hub.parent / "npmapp/package.json").read_text()
                                                    .replace("file:../npmlib", "^1.0.0"))
    run(cli, "repair")
    repair = [e.state for e in store.events(types=["ws_transition"])][5:]  # type: ignore[attr-defined]
    assert repair == ["draft", "planned", "verified", "executing", "committed"]
    assert store.read("workspace/desired.json") is not None
    assert store.read("workspace/base.json") is not None
    # Nothing of gitorch's lands in the hub's work tree.
    assert statuses(hub.parent)["hub"] == ""


def test_plan_twice_gives_identical_bytes(hub: Path, cli: Any, tmp_path: Path) -> None:
    run(cli, "plan", "--out", str(tmp_path / "a.json"))
    run(cli, "plan", "--out", str(tmp_path / "b.json"))
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    plan = json.loads((tmp_path / "a.json").read_bytes())
    assert len(plan["operations"]) == len(LINKS)
    assert [r["index"] for r in plan["rollback"]] == list(reversed(range(len(LINKS))))
    assert {p["type"] for p in plan["preconditions"]} >= {
        "repo_exists", "clean_tree", "lock_free", "no_cycle", "capability", "file_hash"}


def test_saved_plan_verify_then_apply(hub: Path, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    run(cli, "plan", "--out", str(out))
    run(cli, "verify", str(out))
    run(cli, "apply", str(out), "--dry-run")
    assert statuses(hub.parent)["npmapp"] == ""
    run(cli, "apply", str(out))
    assert statuses(hub.parent)["npmapp"] == "M package.json"
    # The same plan again: its file_hash preconditions no longer hold.
    result = run(cli, "apply", str(out), code=1)
    assert "changed since the plan was made" in result.output


def test_diff_lists_links_and_files(hub: Path, cli: Any) -> None:
    delta = json.loads(run(cli, "diff", "--json").stdout)
    # The links, and the overlays the Go and Cargo links create.
    assert sorted("/".join(c["path"][1:]) for c in delta["added"]) == sorted(
        [f"{c}/{p}" for c, p in LINKS] + ["goapp/go.work", "rapp/.cargo/config.toml"])
    assert delta["removed"] == []
    run(cli, "apply")
    delta = json.loads(run(cli, "diff", "--json").stdout)
    assert delta == {"added": [], "removed": [], "changed": []}


def test_diff_and_snapshot_views_are_byte_stable(hub: Path, cli: Any) -> None:
    first = run(cli, "diff", "--json").stdout
    assert run(cli, "diff", "--json").stdout == first
    a = json.loads(run(cli, "snapshot", "--json").stdout)
    b = json.loads(run(cli, "snapshot", "--json").stdout)
    assert a["id"] == b["id"]  # the id is a digest of the content, not a random uuid


def test_newer_snapshot_schema_is_refused(hub: Path, cli: Any) -> None:
    import msgspec
    import pytest

    from gitorch.errors import StateConflict
    from gitorch.workspace.model import decode_snapshot
    from gitorch.workspace.snapshot import take

    data = msgspec.json.decode(msgspec.json.encode(take(hub)))
    data["schema_version"] = 99
    with pytest.raises(StateConflict, match="schema version 99"):
        decode_snapshot(msgspec.json.encode(data))
    data["schema_version"] = 1
    data["added_by_a_newer_gitorch"] = True  # unknown fields in stored records are tolerated
    assert decode_snapshot(msgspec.json.encode(data)).root == str(hub)


def test_verify_reports_a_held_lock(hub: Path, cli: Any, tmp_path: Path) -> None:
    from gitorch.context import build_context
    from gitorch.workspace.record import WorkspaceRecorder

    run(cli, "plan", "--out", str(tmp_path / "p.json"))
    with WorkspaceRecorder(build_context(cwd=hub).store).lock():
        result = run(cli, "verify", str(tmp_path / "p.json"), code=1)
    assert "another workspace operation holds the lock" in result.output


def test_teardown_dry_run_and_preserve(hub: Path, cli: Any, tmp_path: Path) -> None:
    run(cli, "apply")
    linked = tree_digest(hub.parent)
    result = json.loads(run(cli, "teardown", "--dry-run", "--json").stdout)
    assert result["dry_run"] is True and result["operations"] == len(LINKS)
    assert tree_digest(hub.parent) == linked
    result = json.loads(run(cli, "teardown", "--mode", "preserve", "--json").stdout)
    assert result["mode"] == "preserve" and tree_digest(hub.parent) == linked
    assert quick_drift(hub) == []  # no longer tracked
    run(cli, "teardown", code=2)  # nothing left to tear down
    run(cli, "snapshot", "--out", str(tmp_path / "snap.json"))
    assert len(json.loads((tmp_path / "snap.json").read_bytes())["links"]) == len(LINKS)
