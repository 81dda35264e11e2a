"""The agent a run hands its edit steps to, from the settings and the plan."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from gitorch.agent.edit import AgentSetup

if TYPE_CHECKING:
    from gitorch.engine.setup import Loaded
    from gitorch.plan.model import Task


def agent_setup(loaded: Loaded) -> AgentSetup | None:
    """The run's agent, or None: no task is handed to it, or no `agent.command` is set (then
    such tasks stay manual work that waits, as before there was an edit step)."""
    plan = loaded.plan
    types = frozenset(plan.orchestrator.agent_types)
    if not any((t.agent or t.type in types) and not t.commands for t in plan.tasks):
        return None
    command = loaded.settings.agent_command.strip()
    if not command:
        return None

    @cache
    def history() -> list:  # type: ignore[type-arg]
        return loaded.store.events()

    def pack_for(task: Task) -> str:
        from gitorch.engine.context import pack, render

        return render(pack(loaded, task, history()))

    return AgentSetup(command=command, attempts=max(1, loaded.settings.agent_attempts), types=types,
                      pack_for=pack_for)
