"""How a run begins: a new run, or a resume of the latest one (what it already did stays done).

`begin()` reads nothing but what it is given and returns the run's id, targets, the tasks
already completed by earlier sessions of the same run, and the events that open this session.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import msgspec

from gitorch import events as ev
from gitorch.errors import UsageError

if TYPE_CHECKING:
    from gitorch.engine.inputs import TaskInputs
    from gitorch.engine.runtypes import RunOptions
    from gitorch.engine.setup import Loaded
    from gitorch.engine.verified import Verified
    from gitorch.views.fold import RunView


def new_run_id() -> str:
    """A readable, unique, time-ordered run id, e.g. 20261122T074501-3fa2c1."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + ev.new_id()[-6:]


class Start(msgspec.Struct):
    """This session of a run: which run, which tasks, what is already done."""

    run_id: str
    targets: list[str]
    resumed: bool = False
    latest: RunView | None = None  # the run resumed
    done: set[str] = msgspec.field(default_factory=set)  # completed by earlier sessions of this run
    changes: list[str] = msgspec.field(default_factory=list)  # how the plan changed since (resume)


def choose(lp: Loaded, opts: RunOptions, latest: RunView | None) -> Start | None:
    """The run this session continues or starts; None when `resume` finds the latest run
    completed (nothing to continue). UsageError (exit 2) when there is no run to resume."""
    if opts.resume and latest is None:
        raise UsageError("no run to resume", hint="start one with `git orch run`")
    if opts.resume and latest is not None:
        if latest.status == "completed":
            return None
        targets = [t for t in latest.targets if t in lp.by_id]
        return Start(run_id=latest.id, targets=list(opts.tasks) or targets, resumed=True, latest=latest)
    return Start(run_id=opts.run_id or new_run_id(), targets=list(opts.tasks))


def opening_events(lp: Loaded, st: Start, opts: RunOptions, commit: str | None, jobs: int,
                   selection: set[str], inputs: dict[str, TaskInputs], verified: Verified) -> list[ev.Event]:
    """The events that open this session; on a resume also fills `st.done` and `st.changes`."""
    latest = st.latest
    dirty = len(verified.files)
    if not st.resumed or latest is None:
        return [
            ev.PlanValidated(run=st.run_id, digest=lp.digest, file=lp.file, tasks=len(lp.plan.tasks)),
            ev.RunStarted(run=st.run_id, plan_digest=lp.digest, plan_file=lp.file, commit=commit,
                          targets=st.targets, jobs=jobs, argv=opts.argv, tree=verified.tree, dirty=dirty),
        ]
    out: list[ev.Event] = []
    if latest.plan_digest and latest.plan_digest != lp.digest:
        from gitorch.engine.setup import plan_changes

        st.changes = plan_changes(lp.store, latest.plan_digest, lp.plan)
        out.append(ev.PlanUpdated(run=st.run_id, digest=lp.digest, previous_digest=latest.plan_digest,
                                  changes=st.changes))
    old_parts = recorded_parts(lp.store, latest.plan_digest) if st.changes else {}
    for tid, tv in latest.tasks.items():
        cur = inputs.get(tid)
        # completed in this run: never again, unless the plan changed the task itself
        if tv.state == "completed" and cur is not None and tid in selection and \
                old_parts.get(tid, cur.parts) == cur.parts:
            st.done.add(tid)
    why = f" after {latest.status}" if latest.status != "running" else " after a crash"
    out.append(ev.Resumed(run=st.run_id, reason="resume" + why, tree=verified.tree, dirty=dirty))
    return out


def recorded_parts(store: Any, digest: str) -> dict[str, dict[str, str]]:
    """Definition part digests of each task of the plan recorded as `digest` ({} if unknown)."""
    from gitorch.engine import inputs as inp
    from gitorch.engine.setup import definition
    from gitorch.plan.model import Plan
    from gitorch.store import layout

    old = layout.read_recorded_plan(store.read, digest, Plan).value
    if old is None:
        return {}
    return {t.id: inp.definition_parts(definition(t)) for t in old.tasks}
