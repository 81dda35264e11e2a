"""Properties: diff(a, a) is empty; applying plan(a -> b) to a yields b; back to none is exact."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.workspace import apply as A
from gitorch.workspace.desired import desired_from
from gitorch.workspace.diff import diff
from gitorch.workspace.manifest import LinkSpec, load
from gitorch.workspace.plan import make_plan
from gitorch.workspace.snapshot import take

from .fixtures import LINKS, build, tree_digest

subsets = st.sets(st.sampled_from(LINKS))


def _go(manifest, recorded, links):  # type: ignore[no-untyped-def]
    current = take(manifest, recorded=recorded)
    desired = desired_from(current, manifest, [LinkSpec(c, p) for c, p in sorted(links)])
    plan = make_plan(current, desired, "attach")
    outcome = A.execute(plan)
    assert outcome.state == "committed", outcome.error
    return take(manifest, recorded=plan.links), desired


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=subsets, b=subsets)
def test_plan_from_a_to_b_applied_to_a_yields_b(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory(prefix="gitorch-prop-") as tmp:
        hub = build(Path(tmp) / "ws")
        manifest = load(hub)
        original = tree_digest(hub.parent)
        snap_a, _ = _go(manifest, [], a)
        assert diff(snap_a, snap_a).empty
        assert diff(snap_a, take(manifest, recorded=snap_a.links)).empty
        snap_b, desired_b = _go(manifest, snap_a.links, b)
        assert diff(snap_b, desired_b).empty
        assert {lk.key for lk in snap_b.links} == {f"{c}/{p}" for c, p in b}
        _go(manifest, snap_b.links, set())
        assert tree_digest(hub.parent) == original
