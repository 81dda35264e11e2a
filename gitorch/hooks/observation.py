"""What one observation found, and the lines it prints and records (standard library only).

The full observation (observe.py) and a kept answer told again (kept.py) both fill one; it
imports nothing (`invocation` only when a line names the command), so the kept answer's
path pays for no module it does not use.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_AWAITING_LINES = 2
MAX_WORKSPACE_LINES = 3


def _name() -> str:
    from gitorch.invocation import name

    return name()


class Observation:
    """What one observation found. `findings` is what the `observed` event records."""

    __slots__ = ("trigger", "has_state", "stale", "awaiting", "workspace", "problems")

    def __init__(self, trigger: str) -> None:
        self.trigger = trigger
        self.has_state = False  # the state branch exists
        self.stale: dict[str, list[str]] = {}  # task -> its input files that changed
        self.awaiting: list[dict[str, str]] = []  # {run, task, gate}
        self.workspace: list[str] = []  # "workspace: …" lines from quick_drift
        self.problems: list[str] = []  # what could not be observed, and why

    @property
    def drift(self) -> bool:
        """Whether anything drifted: a task's inputs, or the workspace."""
        return bool(self.stale or self.workspace)

    def findings(self) -> list[str]:
        """One line per finding, as recorded in the `observed` event."""
        out = [f"task {tid}: {', '.join(paths[:5])}{' …' if len(paths) > 5 else ''} changed"
               for tid, paths in sorted(self.stale.items())]
        out += [f"run {a.get('run', '?')} waits for approval of {a.get('gate', '?')}"
                for a in self.awaiting]
        out += self.workspace
        return out + self.problems

    def notices(self, name: "str | None" = None) -> list[str]:
        """At most a few lines for the terminal; `name`: how the user runs gitorch, when
        known (else `invocation.name()`, imported only when a line says it)."""
        lines: list[str] = []
        if self.stale:
            n = len(self.stale)
            names = ", ".join(sorted(self.stale)) if n <= 3 else ""
            lines.append(
                f"orch: {n} task{' is' if n == 1 else 's are'} stale since "
                f"{'its' if n == 1 else 'their'} inputs changed{': ' + names if names else ''}"
                f" (run `{name or _name()} explain`)"
            )
        for a in self.awaiting[:MAX_AWAITING_LINES]:
            lines.append(
                f"orch: run {a.get('run', '?')} is waiting for approval of {a.get('gate', '?')}"
            )
        if len(self.awaiting) > MAX_AWAITING_LINES:
            lines.append(f"orch: {len(self.awaiting) - MAX_AWAITING_LINES} more approvals are "
                         f"waiting (run `{name or _name()} status`)")
        # quick_drift already caps its lines (the last one says how many more) and names them
        lines += [f"orch: {line}" for line in self.workspace[:MAX_WORKSPACE_LINES]]
        if self.problems:
            lines.append(f"orch: {self.problems[0]}")
        return lines

    def to_json(self) -> "dict[str, Any]":
        return {
            "trigger": self.trigger, "state": self.has_state, "drift": self.drift,
            "stale": self.stale, "awaiting": self.awaiting, "workspace": self.workspace,
            "problems": self.problems, "findings": self.findings(),
        }
