"""workflow-orchestrator's history as imported runs.

Each `workflow_id` becomes the run `legacy:<workflow_id>`: a `run_started` at its start
(with the plan its version-locked workflow definition converts to, recorded under
`plans/`), item events as task events (item -> task `<PHASE>.<item>`), phase events as
the events of the phase's group task `<PHASE>` (on which the next phase's items depend),
and its end: `completed`, or `interrupted` for an abandoned workflow and for one whose log has no
final line (at its last record). The state file's phases and items give each task's
final state: where the log says less (lines lost, an older log), the state's own
timestamps date the missing transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from gitorch import events as ev
from gitorch.migrate.converted import SESSION, Converted, content_id, legacy_run, record_ts, stamp
from gitorch.migrate.legacy import LegacyFile
from gitorch.migrate.workflow_plan import plan_from_definition, plan_from_items, task_id

_TASK_END = {"item_completed": "completed", "item_skipped": "skipped", "item_failed": "failed"}
# Within one millisecond: the start first, then notes, task starts, checks, task ends, the end.
_ORDER: dict[type[ev.Event], int] = {
    ev.RunStarted: 0, ev.LegacyRecord: 2, ev.TaskStarted: 3, ev.AcceptancePassed: 4,
    ev.AcceptanceFailed: 4, ev.TaskCompleted: 5, ev.Skipped: 5, ev.TaskFailed: 5,
    ev.Completed: 0xFFF0, ev.Interrupted: 0xFFF0,
}
_PHASE_END = {"completed": "completed", "active": "in_progress"}
_STATE_END = {"completed": "completed", "skipped": "skipped", "failed": "failed",
              "in_progress": "in_progress"}


@dataclass
class _Record:
    ts: str
    value: dict[str, Any]
    rel: str


@dataclass
class Workflow:
    """What the legacy files say about one workflow_id."""

    id: str
    records: list[_Record] = field(default_factory=list)
    state: dict[str, Any] | None = None
    state_rel: str = ""


def is_workflow_record(rec: Any) -> bool:
    """A line of workflow-orchestrator's log (WorkflowEvent) with a readable timestamp."""
    return (isinstance(rec, dict) and isinstance(rec.get("workflow_id"), str)
            and isinstance(rec.get("event_type"), str) and stamp(record_ts(rec)) is not None)


def is_workflow_state(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("workflow_id"), str) and "phases" in doc


def collect(files: list[LegacyFile]) -> dict[str, Workflow]:
    """Workflows by id, from every log, state file and checkpoint snapshot (newest state wins)."""
    flows: dict[str, Workflow] = {}
    for f in files:
        if f.kind == "log":
            for line in f.lines:
                rec = line.value
                ts = stamp(record_ts(rec)) if is_workflow_record(rec) else None
                if ts is None:
                    continue
                flows.setdefault(rec["workflow_id"], Workflow(rec["workflow_id"])).records.append(
                    _Record(ts, rec, f.rel))
        elif f.kind in ("state", "checkpoint") and f.lines:
            doc = f.lines[0].value
            if f.kind == "checkpoint" and isinstance(doc, dict):
                doc = doc.get("workflow_state_snapshot")  # the state as of the checkpoint
            if not is_workflow_state(doc):
                continue
            flow = flows.setdefault(doc["workflow_id"], Workflow(doc["workflow_id"]))
            if flow.state is None or str(doc.get("updated_at", "")) > str(flow.state.get("updated_at", "")):
                flow.state, flow.state_rel = doc, f.rel
    return flows


def convert_workflows(files: list[LegacyFile], out: Converted) -> None:
    for flow in collect(files).values():
        _Builder(flow, out).build()


class _Builder:
    def __init__(self, flow: Workflow, out: Converted) -> None:
        self.flow, self.out = flow, out
        self.run = legacy_run(flow.id)
        self.states: dict[str, str] = {}
        self.started: dict[str, str] = {}
        self.phase_of = _phase_of_items(flow.state)
        self.last_ts = ""

    def add(self, event_type: type[ev.Event], rel: str, ts: str, key: tuple[Any, ...],
            **fields: Any) -> None:
        order = _ORDER.get(event_type, 2) if fields.get("kind") != "legacy_run" else 1
        event = event_type(id=content_id(ts, self.flow.id, *key, order=order), ts=ts,
                           session=SESSION, run=self.run, **fields)
        self.out.add(event, rel)
        self.last_ts = max(self.last_ts, ts)

    def build(self) -> None:
        flow, state = self.flow, self.flow.state or {}
        records = sorted(flow.records, key=lambda r: r.ts)
        start = _first([r.ts for r in records if r.value["event_type"] == "workflow_started"]
                       + [stamp(state.get("created_at")) or ""] + [r.ts for r in records])
        if not start:
            return  # a state without any date and no log: nothing to place in time
        rel = (records[0].rel if records else flow.state_rel)
        plan = self._plan(records)
        data = msgspec.json.encode(plan)
        from gitorch.plan.load import plan_digest
        from gitorch.store import layout

        digest = plan_digest(plan)
        self.out.plans[layout.plan_path(digest)] = data
        described = _describe(state, records)
        self.add(ev.RunStarted, rel, start, ("run_started",), plan_digest=digest,
                 plan_file=f"workflow-orchestrator: {described}"[:200])
        self.add(ev.LegacyRecord, rel, start, ("legacy_run",), kind="legacy_run",
                 data=_run_info(flow, state, described))
        ended = False
        for r in records:
            ended = self._record(r) or ended
        if not ended:
            self._reconcile(state)
            self._end(state, records)

    def _plan(self, records: list[_Record]) -> Any:
        state = self.flow.state or {}
        definition = state.get("workflow_definition")
        if isinstance(definition, dict):
            plan = plan_from_definition(definition)
            if plan is not None:
                return plan
        pairs: list[tuple[str, str]] = []
        for phase, pstate in _phases(state).items():
            for item in _items(pstate):
                pairs.append((str(phase), str(item)))
        for r in records:
            item = r.value.get("item_id")
            if isinstance(item, str):
                pairs.append((str(r.value.get("phase_id") or self.phase_of.get(item, "")), item))
        return plan_from_items(list(dict.fromkeys(pairs)), str(state.get("workflow_type") or ""))

    def _task(self, rec: dict[str, Any]) -> str | None:
        item = rec.get("item_id")
        if not isinstance(item, str):
            return None
        return task_id(str(rec.get("phase_id") or self.phase_of.get(item, "")), item)

    def _record(self, r: _Record) -> bool:
        """Add the events of one log record; True when it ends the run."""
        rec, kind = r.value, r.value["event_type"]
        key = (kind, rec.get("phase_id"), rec.get("item_id"))
        task = self._task(rec)
        message = str(rec.get("message") or "")
        raw_details = rec.get("details")
        details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
        if kind == "workflow_started":
            return False  # the run_started above
        if kind == "workflow_completed":
            self._reconcile(self.flow.state or {})
            self.add(ev.Completed, r.rel, r.ts, key, status="completed",
                     duration=_seconds(self._start_ts(), r.ts))
            return True
        if kind == "workflow_abandoned":
            self._reconcile(self.flow.state or {})
            self.add(ev.Interrupted, r.rel, r.ts, key,
                     reason=f"abandoned in workflow-orchestrator: {message}")
            return True
        if task is not None and kind == "item_started":
            self.started[task] = r.ts
            self.states[task] = "in_progress"
            self.add(ev.TaskStarted, r.rel, r.ts, key, task=task)
        elif task is not None and kind in _TASK_END:
            self._end_task(task, _TASK_END[kind], r.rel, r.ts, key,
                           str(details.get("reason") or details.get("skip_reason") or message))
        elif task is not None and kind in ("verification_passed", "gate_passed"):
            self.add(ev.AcceptancePassed, r.rel, r.ts, key, task=task, check=message, evidence=details)
        elif task is not None and kind in ("verification_failed", "gate_failed"):
            self.add(ev.AcceptanceFailed, r.rel, r.ts, key, task=task, check=message, evidence=details)
        elif kind == "phase_started" and rec.get("phase_id"):  # the phase's group task
            group = str(rec["phase_id"])
            self.started[group], self.states[group] = r.ts, "in_progress"
            self.add(ev.TaskStarted, r.rel, r.ts, key, task=group)
        elif kind == "phase_completed" and rec.get("phase_id"):
            self._end_task(str(rec["phase_id"]), "completed", r.rel, r.ts, key, message)
        else:
            self.add(ev.LegacyRecord, r.rel, r.ts, key, task=task, kind=f"legacy:{kind}", data=rec)
        return False

    def _end_task(self, task: str, state: str, rel: str, ts: str, key: tuple[Any, ...],
                  reason: str) -> None:
        self.states[task] = state
        if state == "completed":
            self.add(ev.TaskCompleted, rel, ts, key, task=task,
                     duration=_seconds(self.started.get(task), ts))
        elif state == "skipped":
            self.add(ev.Skipped, rel, ts, key, task=task, reason=reason)
        else:
            self.add(ev.TaskFailed, rel, ts, key, task=task, reason=reason,
                     duration=_seconds(self.started.get(task), ts))

    def _reconcile(self, state: dict[str, Any]) -> None:
        """Transitions the state file records and the log does not (dated by the state)."""
        rel = self.flow.state_rel
        fallback = stamp(state.get("updated_at")) or self.last_ts
        for phase, pstate in _phases(state).items():
            pairs = [(task_id(str(phase), str(i)), s) for i, s in _items(pstate).items()]
            if isinstance(pstate, dict):  # the phase's group task, after its items
                pairs.append((str(phase), {**pstate, "status": _PHASE_END.get(str(pstate.get("status")))}))
            for task, istate in pairs:
                if not isinstance(istate, dict):
                    continue
                final = _STATE_END.get(str(istate.get("status")))
                item = task.rsplit(".", 1)[-1]
                if final is None or self.states.get(task) == final:
                    continue
                key = ("state", phase, item, final)
                begun = stamp(istate.get("started_at"))
                if begun and task not in self.started:
                    self.started[task] = begun
                    self.add(ev.TaskStarted, rel, begun, ("state", phase, item, "started"), task=task)
                when = stamp(istate.get(f"{final}_at")) or stamp(istate.get("completed_at")) or fallback
                if final == "in_progress":
                    if task not in self.started:
                        self.add(ev.TaskStarted, rel, begun or fallback, key, task=task)
                    self.states[task] = final
                    continue
                self._end_task(task, final, rel, when, key, str(istate.get("skip_reason") or
                                                                istate.get("notes") or ""))

    def _end(self, state: dict[str, Any], records: list[_Record]) -> None:
        status = str(state.get("status") or "")
        rel = self.flow.state_rel or (records[-1].rel if records else "")
        if status == "completed":
            when = stamp(state.get("completed_at")) or stamp(state.get("updated_at")) or self.last_ts
            self.add(ev.Completed, rel, when, ("state", "completed"), status="completed",
                     duration=_seconds(self._start_ts(), when))
        elif status == "abandoned":
            reason = (state.get("metadata") or {}).get("abandon_reason", "")
            when = stamp(state.get("updated_at")) or self.last_ts
            self.add(ev.Interrupted, rel, when, ("state", "abandoned"),
                     reason=f"abandoned in workflow-orchestrator: {reason}".rstrip(": "))
        else:
            self.add(ev.Interrupted, rel, self.last_ts, ("no-end",),
                     reason="imported: the legacy log ends here without the workflow's final line")

    def _start_ts(self) -> str:
        return next((e.ts for e in self.out.events
                     if e.run == self.run and isinstance(e, ev.RunStarted)), "")


def _first(values: list[str]) -> str:
    return next((v for v in values if v), "")


def _seconds(start: str | None, end: str) -> float:
    from gitorch.migrate.converted import parse_time

    a, b = parse_time(start), parse_time(end)
    return round(max((b - a).total_seconds(), 0.0), 3) if a and b else 0.0


def _phase_of_items(state: dict[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for phase, pstate in _phases(state).items():
        for item in _items(pstate):
            out.setdefault(str(item), str(phase))
    return out


def _phases(state: dict[str, Any] | None) -> dict[Any, Any]:
    """The state file's phases by id ({} when they are not a mapping: hand-edited or damaged)."""
    phases = (state or {}).get("phases")
    return phases if isinstance(phases, dict) else {}


def _items(pstate: Any) -> dict[Any, Any]:
    """A phase state's items by id ({} when the phase or its items are not mappings)."""
    items = pstate.get("items") if isinstance(pstate, dict) else None
    return items if isinstance(items, dict) else {}


def _describe(state: dict[str, Any], records: list[_Record]) -> str:
    if state.get("task_description"):
        return str(state["task_description"])
    for r in records:
        msg = str(r.value.get("message") or "")
        if r.value["event_type"] == "workflow_started" and msg.startswith("Started workflow: "):
            return msg.removeprefix("Started workflow: ")
    return "(no task description recorded)"


def _run_info(flow: Workflow, state: dict[str, Any], described: str) -> dict[str, Any]:
    info: dict[str, Any] = {"workflow_id": flow.id, "task_description": described,
                            "files": sorted({r.rel for r in flow.records} | ({flow.state_rel} - {""}))}
    for key in ("workflow_type", "workflow_version", "project", "status", "current_phase_id"):
        if state.get(key) is not None:
            info[key] = state[key]
    return info
