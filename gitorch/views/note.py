"""The one-line note a run puts on the commit it verified (`git log --notes=orch`).

Apart from the report (views/report.py) so the end of every run imports only this.
"""

from __future__ import annotations

from gitorch.views.fold import TASK_STATES, RunView, TaskView
from gitorch.views.text import printable
from gitorch.words import plural

NOTE_MAX_TASKS = 12  # beyond this, the note counts tasks instead of naming each


def _note_task(task: TaskView) -> str:
    total = len(task.checks)
    bad = sum(1 for c in task.checks if not c.passed)
    if task.state == "completed":
        return f"{task.id} ok ({total} check{'s' if total != 1 else ''})" if total else f"{task.id} ok"
    if task.state == "failed":
        return f"{task.id} failed ({bad}/{total} checks failed)" if total else f"{task.id} failed"
    return f"{task.id} {task.state}"


def render_note(run: RunView) -> str:
    """The one-line note for the verified commit (`git log --notes=orch`).

    One line per run, starting with its id, so notes merged by line union stay readable:
    `orch r-… completed: EXC-001 ok (3 checks), DOC-001 ok (1 check)`. A run of more than
    NOTE_MAX_TASKS tasks is summarised by counts, naming only the tasks that did not pass.
    """
    head = f"orch {run.id} {run.status}"
    tasks = list(run.tasks.values())
    if len(tasks) <= NOTE_MAX_TASKS:
        body = ", ".join(_note_task(t) for t in tasks) or "no tasks"
        return printable(f"{head}: {body}") + "\n"  # one line, whatever the names hold
    counts: dict[str, int] = dict.fromkeys(TASK_STATES, 0)
    for t in tasks:
        counts[t.state] = counts.get(t.state, 0) + 1
    parts = [f"{counts['completed']} ok"] + [f"{n} {s}" for s, n in counts.items()
                                              if n and s != "completed"]
    bad = [t for t in tasks if t.state not in ("completed", "skipped")]
    named = ", ".join(_note_task(t) for t in bad[:NOTE_MAX_TASKS])
    more = f", +{len(bad) - NOTE_MAX_TASKS} more" if len(bad) > NOTE_MAX_TASKS else ""
    tail = f"; {named}{more}" if bad else ""
    return printable(f"{head}: {plural(len(tasks), 'task')}, " + ", ".join(parts) + tail) + "\n"
