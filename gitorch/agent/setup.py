"""The agent a run hands its edit steps to, from the settings and the plan."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from gitorch import events as ev
from gitorch.agent.edit import AgentSetup, HeldPatch
from gitorch.agent.held import APPLY_PATCH

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded
    from gitorch.plan.model import Task


def agent_setup(loaded: Loaded) -> AgentSetup | None:
    """The run's agent, or None: no task is handed to it, or no `agent.command` is set (then
    such tasks stay manual work that waits, as before there was an edit step)."""
    plan = loaded.plan
    if not any(plan.agent_does(t) for t in plan.tasks):
        return None
    command = loaded.settings.agent_command.strip()
    if not command:
        return None

    @cache
    def history() -> list[ev.Event]:
        return loaded.store.events()

    def pack_for(task: Task) -> str:
        from gitorch.agent.pack import pack, render

        return render(pack(loaded, task, history()))

    def gated(task: Task) -> bool:
        return APPLY_PATCH in plan.gates_for(task)

    def held(task: Task, inputs: str | None) -> HeldPatch | None:
        return held_patch(loaded, history(), task, inputs)

    return AgentSetup(command=command, attempts=max(1, loaded.settings.agent_attempts), does=plan.agent_does,
                      pack_for=pack_for, gated=gated, held=held)


def held_patch(loaded: Loaded, history: list[ev.Event], task: Task, inputs: str | None) -> HeldPatch | None:
    """The patch held for `task`'s apply_patch gate (None once it was applied), and whether an
    approval given after it opens the gate for these inputs."""
    from gitorch.engine.gates import matches

    at = None
    for i in range(len(history) - 1, -1, -1):
        e = history[i]
        if isinstance(e, ev.PatchApplied) and e.task == task.id and e.stage in ("held", "applied"):
            at = i
            break
    if at is None:
        return None
    event = history[at]
    assert isinstance(event, ev.PatchApplied)
    if event.stage == "applied":
        return None
    approved = any(isinstance(e, ev.Approved) and matches(e, APPLY_PATCH, task.id, loaded.digest, inputs)
                   for e in history[at + 1:])
    diff = loaded.store.read(event.diff) if event.diff else b""
    return HeldPatch(event=event, diff=diff or b"", approved=approved)
