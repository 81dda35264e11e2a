"""`git orch mcp` driven by the MCP SDK's own client over stdio, on a real repository."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import anyio
import pytest

from tests.conftest import git
from tests.e2e.helpers import write_plan

mcp = pytest.importorskip("mcp", reason="the optional mcp extra is not installed")


def _session(root: Path):  # type: ignore[no-untyped-def]
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    orch = shutil.which("git-orch")
    assert orch
    params = StdioServerParameters(command=orch, args=["mcp"], cwd=str(root), env=dict(os.environ))
    return Client(params)


def _payload(result) -> dict:  # type: ignore[no-untyped-def]
    if getattr(result, "structured_content", None):
        return dict(result.structured_content)
    return json.loads(result.content[0].text)


def test_tools_and_a_verdict_from_run_task(repo: Path) -> None:
    write_plan(repo, [
        {"id": "build", "commands": {"make": "echo built > out.txt"}, "acceptance": ["File exists: out.txt"]},
        {"id": "check", "dependencies": ["build"], "commands": {"verify": "test -s out.txt && exit 3"}},
    ])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")

    async def talk() -> tuple[list[str], dict, dict, dict, dict]:
        async with _session(repo) as client:
            tools = await client.list_tools()
            names = sorted(t.name for t in tools.tools)
            ready = _payload(await client.call_tool("next", {}))
            built = _payload(await client.call_tool("run_task", {"task": "build"}))
            failed = _payload(await client.call_tool("run_task", {"task": "check"}))
            pack = _payload(await client.call_tool("context", {"task": "check"}))
            return names, ready, built, failed, pack

    names, ready, built, failed, pack = anyio.run(talk)
    assert names == ["context", "next", "report", "run_task", "status"]
    assert "approve" not in names and len(names) <= 5
    assert [t["task"] for t in ready["ready"]] == ["build"]
    assert built["verdict"] == "completed"
    assert any(e.get("check") == "File exists: out.txt" and e["passed"] for e in built["evidence"])
    assert failed["verdict"] == "failed"
    assert any(e.get("exit_code") == 3 for e in failed["evidence"])
    assert pack["id"] == "check" and pack["latest_failure"]["reason"]


def test_unknown_task_is_a_tool_error_not_a_crash(repo: Path) -> None:
    write_plan(repo, [{"id": "a", "commands": {"x": "true"}}])
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")

    async def talk():  # type: ignore[no-untyped-def]
        async with _session(repo) as client:
            return await client.call_tool("context", {"task": "nope"})

    result = anyio.run(talk)
    assert result.is_error
    assert "unknown task nope" in result.content[0].text
