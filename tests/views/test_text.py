"""Text from the state branch is printed with its control characters escaped."""

from __future__ import annotations

from gitorch import events as ev
from gitorch.plan.model import Plan, Task
from gitorch.views.dashboard import render_dashboard
from gitorch.views.fold import fold_runs
from gitorch.views.report import render_note, render_report
from gitorch.views.text import printable

from .scenarios import Log


def test_printable_escapes_controls_but_keeps_text() -> None:
    assert printable("ok\x1b[2J\x07end") == "ok\\x1b[2J\\x07end"
    assert printable("a\nb") == "a\\nb" and printable("a\nb", newlines=True) == "a\nb"
    assert printable("tab\there, é, 日本") == "tab\there, é, 日本"
    assert printable("rtl\u202eevil") == "rtl\\u202eevil"


def test_reports_dashboard_and_note_escape_what_the_branch_holds() -> None:
    log = Log()
    log.add(ev.RunStarted, plan_digest="pd")
    log.add(ev.TaskStarted, "T")
    log.add(ev.TaskFailed, "T", reason="boom\x1b]0;pwned\x07")
    log.add(ev.AwaitingApproval, "G", gate="de\x1bploy")
    log.add(ev.Completed, status="failed")
    plan = Plan(tasks=[Task(id="T", title="title\x1b[31m"), Task(id="G", title="gated")])
    [run] = fold_runs(log.events, plan)
    for text in (render_report(run, plan), render_dashboard(run, plan), render_note(run)):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b" in render_report(run, plan)
