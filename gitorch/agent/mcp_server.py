"""`git orch mcp`: the agent-facing commands over the Model Context Protocol (stdio).

Five tools, no more: `next`, `context`, `run_task`, `status`, `report`. Approvals stay
with people, so there is no approve tool. Each call builds its own Context over the
repository the server was started in and calls the same engine functions as the CLI.
The `mcp` SDK is an optional extra (`pip install 'gitorch[mcp]'`), imported only here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from gitorch import events as ev
from gitorch.errors import OrchError, UsageError

T = TypeVar("T")
EVIDENCE_CHARS = 1_000  # per item of run_task's evidence
INSTALL_HINT = (
    "install the optional extra: pip install 'gitorch[mcp]' "
    "(with orch.pyz: pip install mcp into the Python that runs orch.pyz)"
)


def serve(root: Path | None = None) -> None:
    """Serve the tools over stdio until the client closes the connection."""
    try:
        from mcp.server import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError as exc:
        raise UsageError("`git orch mcp` needs the MCP Python SDK, which is not installed",
                         hint=INSTALL_HINT) from exc
    where = root or Path.cwd()
    server: MCPServer = MCPServer(
        "gitorch",
        instructions="Plans of work as a task DAG kept in git. Take the next task, read its "
                     "context, change the files, then run_task: gitorch itself decides whether "
                     "it is done. Approvals are given by people with `git orch approve`.",
    )

    def call(fn: Callable[[], T]) -> T:
        try:
            with _quiet():
                return fn()
        except OrchError as exc:
            raise ToolError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from exc

    @server.tool(description="The tasks that are ready to work on now, best first, "
                             "with a count of those that must wait.")
    def next() -> dict[str, Any]:  # noqa: A001 - the tool's name
        return call(lambda: ready_tasks(where))

    @server.tool(description="One task's context pack: what it is, where its code is, what "
                             "its dependencies changed and how it last failed.")
    def context(task: str) -> dict[str, Any]:
        return call(lambda: task_context(where, task))

    @server.tool(description="Run one task now (its commands and acceptance checks, by "
                             "gitorch) and return its verdict with the evidence.")
    def run_task(task: str) -> dict[str, Any]:
        return call(lambda: run_one(where, task))

    @server.tool(description="Every task's state in the latest run, and what blocks or gates it.")
    def status() -> dict[str, Any]:
        return call(lambda: run_status(where))

    @server.tool(description="The latest run's report in Markdown: summary, failures, approvals.")
    def report() -> dict[str, Any]:
        return call(lambda: run_report(where))

    server.run("stdio")


def ready_tasks(root: Path) -> dict[str, Any]:
    from gitorch.engine.status import NEXT_LIMIT, next_tasks

    return _builtins(next_tasks(_ctx(root), limit=NEXT_LIMIT))


def task_context(root: Path, task: str) -> dict[str, Any]:
    from gitorch.agent.pack import context

    return _builtins(context(_ctx(root), task))


def run_status(root: Path) -> dict[str, Any]:
    from gitorch.engine.status import status

    return _builtins(status(_ctx(root), notice=False))


def run_report(root: Path) -> dict[str, Any]:
    from gitorch.engine.status import report

    doc = _builtins(report(_ctx(root), None, None, notice=False))
    return {"report": doc.get("report", ""), "warnings": doc.get("warnings", [])}


def run_one(root: Path, task: str) -> dict[str, Any]:
    """Run `task` (and what it needs that is not done) and return its verdict and evidence."""
    from gitorch.agent.setup import agent_setup
    from gitorch.engine.run import RunOptions, execute

    ctx = _ctx(root)
    summary = execute(ctx, RunOptions(tasks=[task], edit_step=agent_setup))
    found = [e for e in ctx.store.events(run=summary.run) if e.task == task]
    verdict = "pending"
    reason = ""
    evidence: list[dict[str, Any]] = []
    for e in found:
        if isinstance(e, ev.TaskCompleted):
            verdict = "completed"
        elif isinstance(e, ev.Skipped):
            verdict, reason = "skipped", "unchanged since its last pass"
        elif isinstance(e, ev.TaskFailed):
            verdict, reason = "failed", e.reason
        elif isinstance(e, ev.TaskWaiting):
            verdict, reason = "waiting", e.reason
        elif isinstance(e, ev.AwaitingApproval):
            verdict, reason = "awaiting_approval", f"gate {e.gate}"
        elif isinstance(e, ev.CommandRun):
            evidence.append({"command": e.name, "exit_code": e.status, "excerpt": _cut(e.excerpt)})
        elif isinstance(e, ev.AcceptancePassed | ev.AcceptanceFailed):
            evidence.append({"check": e.check, "passed": isinstance(e, ev.AcceptancePassed),
                             "evidence": _cut(msgspec.json.encode(e.evidence).decode())})
    return {"run": summary.run, "task": task, "verdict": verdict, "reason": reason,
            "run_status": summary.status, "evidence": evidence[-20:]}


def _ctx(root: Path) -> Any:
    from gitorch.context import build_context

    return build_context(cwd=root, json=True, stream=sys.stderr)


def _builtins(doc: Any) -> dict[str, Any]:
    out = msgspec.to_builtins(doc)
    return out if isinstance(out, dict) else {"result": out}


def _cut(text: str) -> str:
    return text if len(text) <= EVIDENCE_CHARS else "…" + text[-EVIDENCE_CHARS:]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """stdout carries the protocol: anything the engine prints goes to stderr instead."""
    with contextlib.redirect_stdout(sys.stderr):
        yield
