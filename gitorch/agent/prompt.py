"""What the agent reads: the task's context pack, then what went wrong last time."""

from __future__ import annotations

from dataclasses import dataclass

MAX_DIFF = 6_000  # characters of the diff so far shown in a retry's prompt
MAX_EVIDENCE = 3_000


@dataclass(frozen=True)
class Failure:
    """Why the previous attempt did not pass: the reason, the failing step, its output."""

    reason: str
    step: str = ""  # the command or check that failed
    excerpt: str = ""


def render(pack: str, attempt: int, attempts: int, failure: Failure | None, diff: str) -> str:
    """The prompt of attempt `attempt` of `attempts`."""
    parts = [
        pack.rstrip("\n"),
        "",
        "## Your job",
        "Change the files in this repository so that the task above is done. gitorch runs the "
        "task's commands and acceptance checks itself after you finish; only they decide "
        "whether the task is done. Do not change the forbidden paths; changes there are undone.",
        f"This is attempt {attempt} of {attempts}.",
    ]
    if failure is not None:
        parts += ["", "## The previous attempt failed", failure.reason]
        if failure.step:
            parts.append(f"Failing step: {failure.step}")
        if failure.excerpt:
            parts += ["Output:", "```", _tail(failure.excerpt, MAX_EVIDENCE), "```"]
    if diff:
        parts += ["", "## Your changes so far (diff against the start of the task)", "```diff",
                  _tail(diff, MAX_DIFF), "```"]
    return "\n".join(parts) + "\n"


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…(cut)\n" + text[-limit:]
