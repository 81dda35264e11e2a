"""workflow-orchestrator's `workflow.yaml` as a gitorch plan (`git orch plan import`).

Three shapes exist in that project: phases of checklist items (`src/default_workflow.yaml`,
the root `workflow.yaml`), phases with artifacts, gates and tool lists
(`agent_workflow.yaml`), and the v4 form under a `workflow:` key whose phases carry gates
(`workflows/default_v4.yaml`). The mapping:

- an item becomes the task `<PHASE>.<item>`;
- a phase becomes a dependency group: the task `<PHASE>` depends on every item of the
  phase, and the items of the next phase depend on it (in a `strict` phase an item also
  depends on the item before it, as that phase orders them); a phase without items is
  that one task;
- `verification` becomes acceptance (`file_exists`, `command` with its exit code); a
  `manual_gate` or an `approval` gate becomes a gate to approve; a phase `exit_gate` is a
  gate on the phase's group task (leaving the phase needs it);
- `{{var}}` templates are filled from `settings`; `test_command`, `lint_command` become
  the project's build commands;
- everything else (skip conditions, evidence schemas, agents, tool lists, …) is listed in
  `unmapped`, each with the reason.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_ITEM_KEYS_KEPT = {"id", "name", "description", "verification", "notes", "required", "skippable",
                   "step_type"}
_PHASE_KEYS_KEPT = {"id", "name", "description", "items", "notes", "phase_type", "exit_gate", "gates",
                    "max_attempts", "timeout", "next"}
_WHY = {
    "skip_conditions": "gitorch has no skip conditions: a run does every task it selects "
                       "(`git orch run TASK…` selects)",
    "evidence_schema": "gitorch records its own evidence (commands, checks); no schema to fill",
    "evidence_prompt": "prompts for an agent are not part of a gitorch plan",
    "agent": "gitorch does not assign agents to tasks",
    "executor": "gitorch does not assign executors",
    "required_reviews": "reviews are tasks in gitorch: add one per review",
    "intended_tools": "gitorch does not restrict an agent's tools",
    "allowed_tools": "gitorch does not restrict an agent's tools",
    "forbidden_tools": "gitorch does not restrict an agent's tools",
    "tool_constraints": "gitorch does not restrict an agent's tools",
    "required_artifacts": "artifact types with schemas have no paths to check; add "
                          "file_exists acceptance for the files they name",
    "auto_spawn": "gitorch does not spawn agents",
}


def task_id(phase: str, item: str | None) -> str:
    """The task an item (or an item-less phase) becomes; one rule for plans and runs."""
    return f"{phase}.{item}" if item else phase


@dataclass
class Imported:
    """A converted workflow: the plan (as data to write) and what did not map."""

    kind: str  # items | agent | v4
    name: str
    plan: dict[str, Any]
    unmapped: list[dict[str, str]] = field(default_factory=list)  # {"where", "what", "why"}
    gates: list[str] = field(default_factory=list)


def looks_like_workflow(doc: Any) -> bool:
    """Is `doc` a workflow-orchestrator workflow (not a gitorch plan)?"""
    if not isinstance(doc, dict) or "tasks" in doc:
        return False
    inner = doc.get("workflow")
    return isinstance(doc.get("phases"), list) or (
        isinstance(inner, dict) and isinstance(inner.get("phases"), list))


class _Converter:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.v4 = isinstance(doc.get("workflow"), dict) and not isinstance(doc.get("phases"), list)
        self.doc: dict[str, Any] = doc["workflow"] if self.v4 else doc
        settings = self.doc.get("settings")
        self.settings: dict[str, Any] = settings if isinstance(settings, dict) else {}
        self.used: set[str] = set()
        phases = [p for p in self.doc.get("phases") or [] if isinstance(p, dict)]
        agent = any("gates" in p and not p.get("items") for p in phases)
        self.out = Imported(kind="v4" if self.v4 else "agent" if agent else "items",
                            name=str(self.doc.get("name") or ""), plan={})

    def skip(self, where: str, what: str, why: str) -> None:
        self.out.unmapped.append({"where": where, "what": what, "why": why})

    def listed(self, value: Any, where: str) -> list[Any]:
        """`value` when it is a list (or absent); anything else is listed as not mapped."""
        if value is None or isinstance(value, list):
            return value or []
        self.skip(where, _short(value), "not a list; left out")
        return []

    def number(self, value: Any, where: str) -> float | None:
        """`value` as a number of at least 0 (anything else is listed as not mapped)."""
        try:
            number = float(value)
            if not isinstance(value, bool) and math.isfinite(number) and number >= 0:
                return number
        except (TypeError, ValueError):
            pass
        self.skip(where, _short(value), "not a number; left out")
        return None

    def fill(self, text: Any, where: str) -> str:
        """`text` with `{{var}}` filled from settings (unknown ones listed and kept)."""
        def sub(m: re.Match[str]) -> str:
            value = self.settings.get(m.group(1))
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                self.used.add(m.group(1))
                return str(value)
            self.skip(where, m.group(0), "no setting of that name gives its value; kept as written")
            return m.group(0)
        return _TEMPLATE.sub(sub, str(text or ""))

    def run(self) -> Imported:
        tasks: list[dict[str, Any]] = []
        before: list[str] = []
        for n, phase in enumerate(self.doc.get("phases") or []):
            if not isinstance(phase, dict) or not phase.get("id"):
                self.skip(f"phases[{n}]", "a phase without an id", "cannot name its tasks")
                continue
            group = self.phase(phase, before)
            tasks += group
            before = [group[-1]["id"]]  # the next phase waits for this one's group task
        self.out.plan = self.head(tasks)
        return self.out

    def head(self, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        plan: dict[str, Any] = {"version": 1, "project": {"name": self.out.name or "imported workflow"}}
        build = {k: self.fill(self.settings[s], f"settings.{s}") for s, k in
                 (("lint_command", "lint"), ("test_command", "test")) if self.settings.get(s)}
        for s in ("lint_command", "test_command"):
            if self.settings.get(s):
                self.used.add(s)
        if build:
            plan["project"]["build"] = build
        if self.out.gates:
            plan["orchestrator"] = {"approvals": {"required": list(dict.fromkeys(self.out.gates))}}
        plan["tasks"] = tasks
        for key, value in self.settings.items():
            if key not in self.used:
                self.skip(f"settings.{key}", _short(value), "no plan field or template uses it")
        top = {"name", "version", "description", "settings", "phases"}
        for key in self.doc:
            if key not in top:
                self.skip(key, "top-level section", "workflow-orchestrator's run-time policy; "
                          "gitorch has no equivalent")
        return plan

    def phase(self, phase: dict[str, Any], before: list[str]) -> list[dict[str, Any]]:
        """The phase's items, then its group task (the phase itself, depending on them)."""
        pid = str(phase["id"])
        for key in phase:
            if key not in _PHASE_KEYS_KEPT:
                self.skip(f"phases.{pid}.{key}", _short(phase[key]), _WHY.get(key, "no gitorch equivalent"))
        notes = [self.fill(n, f"phases.{pid}.notes")
                 for n in self.listed(phase.get("notes"), f"phases.{pid}.notes")]
        items = [i for i in self.listed(phase.get("items"), f"phases.{pid}.items")
                 if isinstance(i, dict) and i.get("id")]
        strict = phase.get("phase_type") == "strict"
        out: list[dict[str, Any]] = []
        for item in items:
            deps = before + ([out[-1]["id"]] if strict and out else [])
            task = self.base(task_id(pid, str(item["id"])), item, deps, [],
                             f"phases.{pid}.items.{item['id']}")
            self.item(task, item, f"phases.{pid}.items.{item['id']}")
            out.append(task)
        group = self.base(pid, phase, [t["id"] for t in out] or before, notes, f"phases.{pid}")
        for g, gate in enumerate(self.listed(phase.get("gates"), f"phases.{pid}.gates")):
            self.gate(group, gate, f"phases.{pid}.gates[{g}]")
        if phase.get("exit_gate"):  # leaving the phase needs this approval
            self.add_gate(group, f"{pid}-{phase['exit_gate']}", None)
        return [*out, group]

    def base(self, tid: str, source: dict[str, Any], deps: list[str], notes: list[str],
             where: str) -> dict[str, Any]:
        task: dict[str, Any] = {"id": tid, "title": self.fill(source.get("name") or tid, where),
                                "type": _type_of(tid)}
        if source.get("description"):
            task["description"] = self.fill(source["description"], where).strip()
        if deps:
            task["dependencies"] = list(deps)
        if notes:
            task["constraints"] = {"notes": list(notes)}
        attempts = self.number(source["max_attempts"], f"{where}.max_attempts") \
            if source.get("max_attempts") else None
        if attempts is not None:
            task["retry"] = {"attempts": int(attempts)}
        timeout = self.number(source["timeout"], f"{where}.timeout") if source.get("timeout") else None
        if timeout is not None:
            task.setdefault("constraints", {})["timeout"] = timeout
        return task

    def item(self, task: dict[str, Any], item: dict[str, Any], where: str) -> None:
        for key in item:
            if key not in _ITEM_KEYS_KEPT:
                self.skip(f"{where}.{key}", _short(item[key]), _WHY.get(key, "no gitorch equivalent"))
        notes = [self.fill(n, f"{where}.notes") for n in self.listed(item.get("notes"), f"{where}.notes")]
        if notes:
            task.setdefault("constraints", {}).setdefault("notes", []).extend(notes)
        if item.get("required") is False or item.get("skippable") is True:
            self.skip(where, "optional/skippable item", "every task of a gitorch plan is required; "
                      "leave it out of a run by naming the tasks to run")
        check = item.get("verification")
        if isinstance(check, dict):
            self.verification(task, check, f"{where}.verification")

    def verification(self, task: dict[str, Any], check: dict[str, Any], where: str) -> None:
        kind = check.get("type")
        if kind == "file_exists" and check.get("path"):
            task.setdefault("acceptance", []).append({"file_exists": self.fill(check["path"], where)})
        elif kind == "command" and check.get("command"):
            task.setdefault("acceptance", []).append(
                {"run": self.fill(check["command"], where),
                 "exit_code": int(self.number(check.get("expect_exit_code", 0), f"{where}.expect_exit_code")
                                  or 0)})
        elif kind == "manual_gate":
            self.add_gate(task, str(task["id"]).rsplit(".", 1)[-1], check.get("description"))
        elif kind not in (None, "none"):
            self.skip(where, f"verification type {kind!r}", "unknown to gitorch")

    def gate(self, task: dict[str, Any], gate: Any, where: str) -> None:
        """A v4 or agent-workflow phase gate."""
        if not isinstance(gate, dict):
            return
        kind = gate.get("type")
        cmd = gate.get("cmd") or gate.get("command")
        if kind == "file_exists" and gate.get("path"):
            task.setdefault("acceptance", []).append({"file_exists": self.fill(gate["path"], where)})
        elif kind == "command" and cmd and gate.get("expect_empty"):
            task.setdefault("acceptance", []).append(
                {"run": f'test -z "$({self.fill(cmd, where)})"', "label": f"no output from `{cmd}`"})
        elif kind == "command" and cmd:
            task.setdefault("acceptance", []).append(
                {"run": self.fill(cmd, where),
                 "exit_code": int(self.number(gate.get("exit_code", 0), f"{where}.exit_code") or 0)})
        elif kind == "no_pattern" and gate.get("pattern"):
            specs = " ".join(shlex.quote(f":(glob){p}")
                             for p in self.listed(gate.get("paths"), f"{where}.paths") or ["."])
            task.setdefault("acceptance", []).append(
                {"run": f"! git grep -n -E -e {shlex.quote(str(gate['pattern']))} -- {specs}",
                 "label": f"no match of /{gate['pattern']}/"})
        elif kind == "approval":
            self.add_gate(task, str(gate.get("id") or f"{task['id']}-approval"), None)
            for key in ("blockers", "approvers", "timeout_seconds"):
                if gate.get(key):
                    self.skip(f"{where}.{key}", _short(gate[key]), "a gitorch gate is one approval "
                              "(`git orch approve GATE`); its checks are the task's acceptance")
        else:
            self.skip(where, f"gate type {kind!r}", "unknown to gitorch")

    def add_gate(self, task: dict[str, Any], name: str, description: Any) -> None:
        task.setdefault("approvals", []).append(name)
        self.out.gates.append(name)
        if description:
            task["description"] = (task.get("description", "") + f"\n\nApproval: {description}").strip()


def convert(doc: Any) -> Imported:
    """The gitorch plan (as data) a workflow-orchestrator workflow converts to."""
    return _Converter(doc).run()


def _type_of(tid: str) -> str:
    name = tid.lower()
    if "test" in name:
        return "test"
    if any(w in name for w in ("doc", "readme", "changelog", "learning")):
        return "docs"
    if any(w in name for w in ("implement", "code", "impl")):
        return "code_change"
    return "chore"


def _short(value: Any, limit: int = 60) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_plan(doc: dict[str, Any]) -> Any:
    """The model Plan of plan data (as `convert` makes it); ValueError when it is not one."""
    import msgspec

    from gitorch.plan import normalize
    from gitorch.plan.model import Plan
    from gitorch.plan.spec import PlanSpec

    try:
        spec = msgspec.convert(doc, PlanSpec)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None
    issues: list[Any] = []
    tasks = [normalize.task(t, ("tasks", i), issues) for i, t in enumerate(spec.tasks)]
    if issues:
        raise ValueError(issues[0].message)
    return Plan(project=normalize.project(spec.project),
                orchestrator=normalize.orchestrator(spec.orchestrator), tasks=tasks)


def plan_from_definition(definition: dict[str, Any]) -> Any:
    """The gitorch Plan of a run's version-locked workflow definition (None when it does
    not convert to a valid plan)."""
    try:
        return to_plan(convert(definition).plan)
    except (ValueError, TypeError, KeyError):
        return None


def plan_from_items(pairs: list[tuple[str, str]], name: str) -> Any:
    """A plan of the (phase, item) pairs a run's state and log name, in phase order."""
    phases: dict[str, list[dict[str, Any]]] = {}
    for phase, item in pairs:
        phases.setdefault(phase or "ITEMS", []).append({"id": item, "name": item})
    doc = {"name": name or "imported workflow",
           "phases": [{"id": p, "name": p, "items": items} for p, items in phases.items()]}
    plan = plan_from_definition(doc)
    if plan is None:
        from gitorch.plan.model import Plan

        return Plan()
    return plan
