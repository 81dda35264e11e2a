"""The run report (Markdown with a Mermaid Gantt timeline), its JUnit XML, and the commit note.

Pure functions of a folded run and its plan. The only input from outside is an optional
`log_reader(path) -> bytes | None` that returns a command's full output kept on the state
branch, so the report can quote its tail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from gitorch.plan.model import Plan
from gitorch.views import mermaid
from gitorch.views.fold import TASK_STATES, CommandView, RunView, TaskView, parse_ts, with_plan
from gitorch.views.note import NOTE_MAX_TASKS as NOTE_MAX_TASKS  # the note's home: views/note.py
from gitorch.views.note import render_note as render_note
from gitorch.views.text import printable
from gitorch.views.verified import verified_text

LogReader = Callable[[str], bytes | None]
LOG_TAIL_LINES = 40
EVIDENCE_MAX = 400  # characters of a check's evidence quoted in the report


# --- small formatting helpers -----------------------------------------------------------

def format_duration(seconds: float) -> str:
    """Seconds for a human: "0.42 s", "3m 05s", "1h 02m 03s"."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _code(text: str) -> str:
    """`text` as inline code, whatever backticks it holds."""
    text = text.replace("\n", " ")
    if "`" not in text:
        return f"`{text}`"
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if longest or text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _block(text: str, lang: str = "text") -> list[str]:
    """`text` as a fenced block whose fence is longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [fence + lang, text.rstrip("\n"), fence]


def _name(task: TaskView) -> str:
    name = f"{task.id} — {task.title}" if task.title else task.id
    return name.replace("\n", " ")


def _counts(run: RunView) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(TASK_STATES, 0)
    for task in run.tasks.values():
        counts[task.state] = counts.get(task.state, 0) + 1
    return counts


def _evidence(evidence: dict[str, object]) -> str:
    # str() whatever JSON cannot hold (a Path in an event built in memory, say)
    text = msgspec.json.encode(evidence, order="sorted", enc_hook=str).decode()
    return text if len(text) <= EVIDENCE_MAX else text[: EVIDENCE_MAX - 1] + "…"


def _tail(data: bytes, lines: int = LOG_TAIL_LINES) -> str:
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


def _failed_commands(task: TaskView) -> list[CommandView]:
    return [c for c in task.commands if c.status != 0 or c.timed_out]


# --- Markdown report ---------------------------------------------------------------------

def _summary(run: RunView) -> list[str]:
    counts = _counts(run)
    by_state = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    lines = [
        "## Summary",
        "",
        f"- **Status:** {run.status}",
        f"- **Tasks:** {len(run.tasks)} ({by_state})",
        f"- **Duration:** {format_duration(run.duration)} (started {run.started}"
        + (f", ended {run.ended})" if run.ended else ", not ended)"),
        (f"- **Verified:** {verified_text(run, _code)}" if run.dirty else
         f"- **Commit verified:** {_code(run.commit) if run.commit else '(none recorded)'}"),
        f"- **Plan:** {_code(run.plan_file or '?')}, digest {_code(run.plan_digest or '?')}",
        f"- **Jobs:** {run.jobs}; **targets:** "
        + (", ".join(run.targets) if run.targets else "all"),
    ]
    if run.plan_changes:
        lines.append("- **Plan changed during the run:** " + "; ".join(run.plan_changes))
    if run.failures:
        lines.append(f"- **Failures:** {', '.join(run.failures)}")
    blocked = [t for t in run.tasks.values() if t.state == "blocked"]
    if blocked:
        lines.append("- **Blocked:** " + ", ".join(
            f"{t.id} (by {', '.join(t.blocked_by)})" if t.blocked_by else t.id for t in blocked))
    if run.awaiting:
        lines.append("- **Waiting for approval:** " + ", ".join(
            f"{tid} ({_code(gate)})" for tid, gate in run.awaiting))
    return lines


def _task_table(run: RunView) -> list[str]:
    lines = ["## Tasks", "", "| Task | Title | State | Duration | Attempts | Notes |",
             "|---|---|---|---:|---:|---|"]
    for task in run.tasks.values():
        # a figure only for a finished execution (not for one still going, nor one never run)
        duration = format_duration(task.duration) if task.started and task.ended else ""
        notes = task.reason
        if task.gate:
            notes = f"gate {task.gate}" + (f", approved by {task.approved_by}" if task.approved_by else "")
        lines.append(
            f"| {_cell(task.id)} | {_cell(task.title)} | {task.state} | {duration} "
            f"| {task.attempts or ''} | {_cell(notes)} |"
        )
    return lines


def _gantt_time(ts: str) -> str | None:
    if len(ts) == 24 and ts[10] == "T" and ts[-1] == "Z":  # gitorch's own UTC stamps
        return f"{ts[:10]} {ts[11:23]}"
    moment = parse_ts(ts)
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


_GANTT_TAG = {"completed": "done, ", "skipped": "done, ", "failed": "crit, ",
              "in_progress": "active, ", "awaiting_approval": "active, "}


def gantt(run: RunView, plan: Plan) -> str | None:
    """A Mermaid Gantt chart of the tasks that started, one section per dependency generation
    (one bar per generation when a bar per task is more than Mermaid draws); None if none started."""
    rows: dict[str, tuple[str, str]] = {}
    for task in run.tasks.values():
        if not task.started:
            continue
        start = _gantt_time(task.started)
        end = _gantt_time(task.ended or run.updated or task.started)
        if start is None or end is None:
            continue
        if end <= start:  # a zero-length bar does not draw; give it a millisecond
            end = _plus_ms(start)
        rows[task.id] = (start, end)
    if not rows:
        return None
    first = min(start for start, _ in rows.values())
    last = max(end for _, end in rows.values())
    span = (_gantt_parse(last) - _gantt_parse(first)).total_seconds()
    axis = "%H:%M:%S.%L" if span < 60 else "%H:%M:%S"  # short runs need milliseconds to tell apart
    head = ["gantt", f"  title Run {run.id}", "  dateFormat YYYY-MM-DD HH:mm:ss.SSS",
            f"  axisFormat {axis}", "  todayMarker off"]
    groups = mermaid.generations(plan, list(rows))
    index = {tid: n for n, tid in enumerate(run.tasks)}
    lines = list(head)
    for name, group in groups.items():
        lines.append(f"  section {name}")
        for tid in group:
            start, end = rows[tid]
            tag = _GANTT_TAG.get(run.tasks[tid].state, "")
            lines.append(f"  {_gantt_name(tid)} :{tag}g{index[tid]}, {start}, {end}")
    text = "\n".join(lines)
    if mermaid.fits(text, 0):
        return text
    lines = head + ["  section Generations"]
    for n, (name, group) in enumerate(groups.items()):
        state = mermaid.most_urgent(run.tasks[t].state for t in group)
        start = min(rows[t][0] for t in group)
        end = max(rows[t][1] for t in group)
        tasks = f"{len(group)} task{'s' if len(group) != 1 else ''}"
        lines.append(f"  {name} ({tasks}) :{_GANTT_TAG.get(state, '')}s{n}, {start}, {end}")
    return "\n".join(lines)


def _gantt_name(task_id: str) -> str:
    return re.sub(r"[:;#]", " ", task_id)  # these end or comment a Gantt row


def _gantt_parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")


def _plus_ms(stamp: str) -> str:
    """A Gantt timestamp one millisecond later."""
    return (_gantt_parse(stamp) + timedelta(milliseconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _read_log(log_reader: LogReader | None, path: str | None) -> bytes | None:
    if log_reader is None or not path:
        return None
    try:
        return log_reader(path)
    except Exception:  # a lost or unreadable blob must not cost the whole report: use the excerpt
        return None


def _failures(run: RunView, log_reader: LogReader | None) -> list[str]:
    lines = ["## Failures", ""]
    failed = [t for t in run.tasks.values() if t.state == "failed"]
    if not failed:
        return lines + ["None."]
    for task in failed:
        lines += [f"### {_name(task)}", "", f"Reason: {task.reason or '(none recorded)'}", ""]
        for c in _failed_commands(task):
            where = f" in shard {c.shard}" if c.shard else ""
            how = "timed out" if c.timed_out else (
                "could not start or was killed" if c.status is None else f"exited {c.status}")
            lines += [f"Command {_code(c.name or c.cmd)}{where} ({_code(c.cmd)}) {how} after "
                      f"{format_duration(c.duration)} (attempt {c.attempt}).", ""]
            full = _read_log(log_reader, c.log)
            if full is not None:
                # the full log's tail contains what the excerpt holds, and more
                lines += [f"Last {LOG_TAIL_LINES} lines of the full log ({_code(c.log or '')}):", ""]
                lines += _block(_tail(full)) + [""]
            elif c.excerpt:
                lines += ["Output (excerpt):", ""] + _block(c.excerpt) + [""]
        bad_checks = [c for c in task.checks if not c.passed]
        if bad_checks:
            lines.append("Failed checks:")
            lines += [f"- {c.check}{f' [{c.shard}]' if c.shard else ''}: {_code(_evidence(c.evidence))}"
                      for c in bad_checks]
            lines.append("")
    return lines[:-1] if lines[-1] == "" else lines


def _acceptance(run: RunView) -> list[str]:
    lines = ["## Acceptance evidence", ""]
    checked = [t for t in run.tasks.values() if t.checks]
    if not checked:
        return lines + ["No acceptance check was evaluated."]
    for task in checked:
        lines += [f"### {_name(task)}", ""]
        for c in task.checks:
            verdict = "passed" if c.passed else "FAILED"
            shard = f" [{c.shard}]" if c.shard else ""
            lines.append(f"- {verdict}{shard}: {c.check} — {_code(_evidence(c.evidence))}")
        lines.append("")
    return lines[:-1]


def _patches(run: RunView) -> list[str]:
    """What agents changed, attempt by attempt (only when an agent's edit step ran)."""
    edited = [t for t in run.tasks.values() if t.patches]
    if not edited:
        return []
    lines = ["## Patches", "", "| Task | Attempt | Stage | Files | Lines | Diff |", "|" + "---|" * 6]
    for task in edited:
        for p in task.patches:
            undone = f" (undone: {', '.join(p.reverted)})" if p.reverted else ""
            lines.append(f"| {_cell(_name(task))} | {p.attempt} | {p.stage}{_cell(undone)} | {p.files} "
                         f"| +{p.added} −{p.removed} | {_code(p.diff) if p.diff else 'no change'} |")
    return lines + [""]


def _approvals(run: RunView) -> list[str]:
    lines = ["## Approvals", ""]
    if not run.approvals:
        return lines + ["None."]
    lines += ["| Gate | Task | By | Plan digest | Commit | At |", "|---|---|---|---|---|---|"]
    for a in run.approvals:
        digest = a.plan_digest + (" (an earlier plan: no longer applies)" if a.stale else "")
        lines.append(f"| {_cell(a.gate)} | {_cell(a.task or 'any')} | {_cell(a.by)} "
                     f"| {_cell(digest)} | {_cell(a.commit or '')} | {a.ts} |")
    return lines


def render_report(run: RunView, plan: Plan, *, log_reader: LogReader | None = None) -> str:
    """The Markdown report of `run`: summary, tasks, timeline, failures, evidence, approvals."""
    run = with_plan(run, plan)
    out = [f"# Run report — {run.id}", ""]
    out += _summary(run) + [""]
    out += _task_table(run) + [""]
    out += ["## Timeline", ""]
    chart = gantt(run, plan)
    out += (["```mermaid", chart, "```"] if chart else ["No task has started yet."]) + [""]
    out += _failures(run, log_reader) + [""]
    out += _acceptance(run) + [""]
    out += _patches(run)
    out += _approvals(run)
    # names, titles, reasons and output come from any clone: no control character goes out
    return printable("\n".join(out) + "\n", newlines=True)


# --- JUnit -------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return _XML_BAD.sub("\ufffd", text)


def render_junit(run: RunView, plan: Plan) -> str:
    """JUnit XML: one testsuite for the run, one testcase per task.

    A failed task is a <failure> (with its failing commands' output); a task that did not
    pass and did not fail (skipped, blocked, pending, waiting) is <skipped> with why.
    """
    import xml.etree.ElementTree as ET  # here: a run's note imports this module, not XML

    run = with_plan(run, plan)
    counts = _counts(run)
    failures = counts.get("failed", 0)
    skipped = len(run.tasks) - failures - counts.get("completed", 0)
    attrs = {"tests": str(len(run.tasks)), "failures": str(failures), "errors": "0",
             "skipped": str(skipped), "time": f"{run.duration:.3f}"}
    root = ET.Element("testsuites", {"name": "gitorch", **attrs})
    suite = ET.SubElement(root, "testsuite", {"name": f"orch {run.id}", **attrs,
                                               "timestamp": run.started})
    props = ET.SubElement(suite, "properties")
    for key, value in (("run", run.id), ("status", run.status), ("commit", run.commit or ""),
                       ("plan_digest", run.plan_digest), ("plan_file", run.plan_file),
                       ("dirty", "true" if run.dirty else "false"), ("tree", run.tree or "")):
        ET.SubElement(props, "property", {"name": key, "value": _xml_text(value)})
    for task in run.tasks.values():
        case = ET.SubElement(suite, "testcase", {
            "classname": f"orch.{run.id}", "name": _xml_text(_name(task)),
            "time": f"{task.duration:.3f}",
        })
        if task.state == "failed":
            fail = ET.SubElement(case, "failure", {"message": _xml_text(task.reason or "failed"),
                                                   "type": "failed"})
            parts = [f"$ {c.cmd}  (exit {c.status}{', timed out' if c.timed_out else ''})\n{c.excerpt}"
                     for c in _failed_commands(task)]
            parts += [f"check failed: {c.check} {_evidence(c.evidence)}" for c in task.checks if not c.passed]
            fail.text = _xml_text("\n".join(parts))
        elif task.state != "completed":
            why = task.reason or task.state
            if task.state != "skipped":
                why = f"{task.state}: {why}" if why != task.state else task.state
            ET.SubElement(case, "skipped", {"message": _xml_text(why)})
        if task.checks:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(
                f"{'passed' if c.passed else 'FAILED'}: {c.check} {_evidence(c.evidence)}"
                for c in task.checks))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
